//! The oral and computer exam days played end to end through the real daemon and hub (issue
//! 18 item 8 and its "Done means"): `ppe demo --day is9|speaking|kege --until-done` runs the
//! real `ppe edge serve` duties (plan sync, pre-staging, the scan inbox, the automatic upload)
//! beside the real hub over mutual TLS on a fast simulated clock. Recordings are spoken by
//! espeak-ng and resampled by sox (some converted by ffmpeg), taken in by the box's decoder;
//! КЕГЭ archives from twenty workstations. Each test then reads what the box holds: the queue,
//! the kept bad files with their reasons, the protocols, the printed forms, and the hub's signed
//! receipt listing every file with its hash.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use crate::common::*;

/// Plays one demo day to its receipt; returns its output.
fn play(dir: &Path, day: &str, participants: &str) -> String {
    let o = Command::new(ppe_bin())
        .args([
            "demo",
            "--day",
            day,
            "--dir",
            dir.to_str().unwrap(),
            "--until-done",
            "--speed",
            "1500",
            "--points",
            "1",
            "--participants",
            participants,
        ])
        .env("PPE_LOG", "warn")
        .output()
        .unwrap();
    let out = stdout(&o);
    assert!(o.status.success(), "{day}: {out}\n{}", stderr(&o));
    assert!(out.contains("exam day played to 1 receipts"), "{out}");
    out
}

fn line<'a>(out: &'a str, exam: &str, step: &str) -> &'a str {
    out.lines()
        .find(|l| l.contains(&format!("{exam}: ")) && l.contains(step))
        .unwrap_or_else(|| panic!("{exam}: no step {step:?} in the demo:\n{out}"))
}

fn db(dir: &Path) -> ppe::store::Connection {
    ppe::store::open(&dir.join("box/state/ppe.db")).unwrap()
}

/// The hub's receipt held by the box: its signature checks against the hub's key, and it
/// lists exactly the accepted files, each with its participant and hash.
fn receipt_lists_every_file(dir: &Path, exam: &str) -> Vec<ppe::recordings::store::RecordingFileRow> {
    let conn = db(dir);
    let (_, json) = ppe::upload::store::receipt_latest(&conn, exam).unwrap().expect("a receipt");
    let receipt: ppe::upload::Receipt = serde_json::from_str(&json).unwrap();
    let rows = ppe::recordings::store::files_for_exam(&conn, exam).unwrap();
    let accepted: Vec<_> = rows.iter().filter(|f| f.status == "matched").collect();
    let mut listed: Vec<(String, String)> = receipt.receipt.participant_files.iter().map(|f| (f.participant_id.clone(), f.sha256.clone())).collect();
    let mut taken: Vec<(String, String)> = accepted.iter().map(|f| (f.participant_id.clone().unwrap(), f.sha256.clone())).collect();
    listed.sort();
    taken.sort();
    assert_eq!(listed, taken, "the receipt lists every accepted file with its hash");
    // The daemon's recordings inbox took every file from the station's export folder.
    let taken = ppe::audit::store::all(&conn).unwrap().into_iter().filter(|e| e.action == "recordings.file_taken" && e.actor == "inbox").count();
    assert_eq!(taken, rows.len(), "every file came through the daemon's inbox");
    // The box kept every file, good or bad, byte for byte under its hash.
    for f in &rows {
        assert_eq!(ppe::util::sha256_hex(&std::fs::read(&f.path).unwrap()), f.sha256, "{}", f.source_name);
    }
    rows
}

/// The bad takes were refused with their reasons and kept (set aside with a person's note);
/// the station's good copies stand for those participants.
fn bad_takes_kept(rows: &[ppe::recordings::store::RecordingFileRow]) {
    let kept: Vec<_> = rows.iter().filter(|f| f.status == "set_aside").collect();
    let defects: BTreeSet<&str> = kept.iter().map(|f| f.defect.as_str()).collect();
    assert_eq!(defects, BTreeSet::from(["silent", "truncated"]), "{kept:?}");
    for f in &kept {
        assert!(!f.reason.is_empty() && !f.resolution.is_empty(), "{f:?}");
        let who = f.participant_id.as_deref();
        assert!(who.is_none() || rows.iter().any(|g| g.status == "matched" && g.participant_id.as_deref() == who), "{f:?}: no good copy");
    }
    let accepted = rows.iter().filter(|f| f.status == "matched");
    assert!(accepted.clone().all(|f| f.duration_ms.unwrap() >= 2000 && f.rms_dbfs.unwrap() > -45.0), "decoded, spoken");
    assert!(accepted.clone().any(|f| f.source_name.ends_with(".ogg")) && accepted.clone().any(|f| f.source_name.ends_with(".wav")));
}

fn pdf_text(path: &Path) -> String {
    let o = Command::new("pdftotext").args(["-layout", path.to_str().unwrap(), "-"]).output().unwrap();
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn an_interview_day_queues_recordings_protocols_forms_upload_and_receipt() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    let out = play(dir, "is9", "40");
    const IS9: &str = "is9-01";
    for step in [
        "план ППЭ получен от РЦОИ",
        "рассадка:",
        "член ГЭК активировал ключ",
        "комплектность полная",
        "выгрузка завершена: квитанция РЦОИ (подпись проверена)",
    ] {
        line(&out, IS9, step);
    }
    let queues = line(&out, IS9, "очереди из аудиторий ожидания в аудитории проведения");
    assert_eq!(queues.matches("ауд. ").count(), 2, "two conducting rooms: {queues}");
    let passed = line(&out, IS9, "очереди пройдены");
    assert!(passed.contains("не явился 1, опоздал 1") && passed.contains("переведён в другую аудиторию 1"), "{passed}");
    assert!(line(&out, IS9, "отложен и хранится").contains("тишина"), "{out}");
    assert!(out.lines().any(|l| l.contains("отложен и хранится") && l.contains("обрезан")), "{out}");
    assert!(line(&out, IS9, "копии со станции приняты").contains("комплектность записей полная"), "{out}");
    assert!(line(&out, IS9, "расстановка работников:").contains("нарушений правил 0"), "{out}");

    // The queue: everyone's turn recorded with its times, the absent skipped, the late at the end.
    let conn = db(dir);
    let (exam, ppe) = (
        ppe::model::ExamId::from(IS9),
        ppe::model::PpeCode::from(&ppe::context::EdgeContext::open(&dir.join("box/ppe.toml")).unwrap().config.ppe_code),
    );
    let turns = ppe::oral::ops::queue(&conn, &exam, &ppe).unwrap();
    let done: Vec<_> = turns.iter().filter(|t| matches!(t.state, ppe::oral::TurnState::Done { .. })).collect();
    assert_eq!((turns.len() - done.len(), turns.iter().filter(|t| t.late).count()), (1, 1), "{turns:?}");
    let late = turns.iter().find(|t| t.late).unwrap();
    assert!(turns.iter().filter(|t| t.auditorium == late.auditorium).all(|t| t.position <= late.position), "the late one answers last");

    // One protocol per answer, each by the expert of the participant's room, зачёт and незачёт.
    let protocols = ppe::oral::ops::protocols(&conn, &exam, &ppe).unwrap();
    assert_eq!(protocols.len(), done.len());
    assert!(protocols.iter().any(|p| p.score.passed) && protocols.iter().any(|p| !p.score.passed));
    let roster = ppe::roster::store::roster_get(&conn, IS9, ppe.as_str()).unwrap();
    for p in &protocols {
        let room = &turns.iter().find(|t| t.participant_id == p.participant_id).unwrap().auditorium;
        assert!(
            roster.iter().any(|e| e.worker_id == p.expert_worker_id && e.post == ppe::roster::Post::Expert { auditorium: room.clone() }),
            "{p:?}"
        );
    }

    // Recordings: one per answer accepted and on the receipt; the silent and the cut kept.
    let rows = receipt_lists_every_file(dir, IS9);
    assert_eq!(rows.iter().filter(|f| f.status == "matched").count(), done.len());
    bad_takes_kept(&rows);

    // The printed ведомость and the expert's protocol of each conducting room.
    let printed = dir.join("box/printed").join(IS9);
    let rooms: BTreeSet<&str> = turns.iter().map(|t| t.auditorium.as_str()).collect();
    for room in rooms {
        let text = pdf_text(&printed.join(format!("is-03-{room}.pdf")));
        assert!(text.contains("Протокол эксперта") && text.contains("зачёт"), "{text}");
        let text = pdf_text(&printed.join(format!("is-02-{room}.pdf")));
        assert!(text.contains("Ведомость учёта проведения итогового собеседования"), "{text}");
    }
}

#[test]
fn a_speaking_day_from_preparation_to_recording_rooms_to_the_receipt() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    let out = play(dir, "speaking", "40");
    const SPEAKING: &str = "ege-29";
    assert_eq!(line(&out, SPEAKING, "очереди из аудиторий подготовки в аудитории записи ответов").matches("ауд. ").count(), 2, "{out}");
    assert!(line(&out, SPEAKING, "очереди пройдены").contains("не явился 1, опоздал 1"), "{out}");
    for step in ["комплектность записей полная", "комплектность полная", "квитанция РЦОИ (подпись проверена)"]
    {
        line(&out, SPEAKING, step);
    }
    assert!(!out.contains("протоколы эксперта"), "«Говорение» is scored at РЦОИ, not on the box");
    let rows = receipt_lists_every_file(dir, SPEAKING);
    bad_takes_kept(&rows);
    // The forms of the oral part: the preparation and recording rooms' protocols, the summary.
    let printed = dir.join("box/printed").join(SPEAKING);
    let text = pdf_text(&printed.join("ppe-13-03-u.pdf"));
    assert!(text.contains("Сводная ведомость"), "{text}");
}

#[test]
fn a_kege_day_of_twenty_workstations_names_the_missing_answer_file_and_gets_its_receipt() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    let out = play(dir, "kege", "80");
    const KEGE: &str = "ege-25";
    assert!(line(&out, KEGE, "за рабочими станциями").contains("20 участников"), "{out}");
    assert!(line(&out, KEGE, "пересажен на резервную станцию").contains("отказ рабочей станции"), "{out}");
    let files = line(&out, KEGE, "файлы ответов со станций");
    assert!(files.contains("взял из папки выгрузки 19, сопоставлено 19") && files.contains("файлов ответов 19 из 20"), "{files}");
    // The daemon does not send a day with a file missing by itself: a person does, with it named.
    assert!(line(&out, KEGE, "технический специалист отправляет пакет сам").contains("нет файла ответов участника"), "{out}");
    assert!(files.contains("НЕПОЛНАЯ: нет файла ответов участника P"), "{files}");
    // The registration sheets were scanned and matched; the receipt lists the 19 archives.
    let scanned = line(&out, KEGE, "сканирование:");
    assert!(scanned.contains("к разбору 0;") && scanned.contains("комплектность полная"), "{scanned}");
    line(&out, KEGE, "квитанция РЦОИ (подпись проверена)");
    let rows = receipt_lists_every_file(dir, KEGE);
    assert_eq!(rows.len(), 19);
    assert!(rows.iter().all(|f| f.kind == "answer_file" && f.status == "matched"));
    // The moved participant's archive came from the reserve workstation.
    let conn = db(dir);
    let moves = ppe::recordings::store::moves_for_exam(&conn, KEGE).unwrap();
    assert_eq!(moves.len(), 1);
    let moved = rows.iter().find(|f| f.participant_id.as_deref() == Some(moves[0].participant_id.as_str())).unwrap();
    assert!(moved.source_name.contains(&format!("_{}_", moves[0].to_workstation)), "{}", moved.source_name);
}
