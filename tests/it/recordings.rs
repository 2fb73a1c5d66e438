//! Recordings of an oral exam and КЕГЭ answer files (issue 18 items 2 and 4): real audio made
//! by espeak-ng and converted by sox/ffmpeg, decoded by the box on intake; good files matched,
//! every bad one kept with its Russian reason; completeness names the missing and the broken;
//! КЕГЭ archives matched by workstation (a participant moved to a reserve one); the bundle
//! carries the files and our hub verifies and lists them on its receipt.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{ppe, stderr, stdout};
use crate::upload::{make_box, start_hub, PPE};

const ORAL: &str = "ege-29";
pub(crate) const KEGE: &str = "ege-25";

/// The sample plan with an ЕГЭ English oral part and a КЕГЭ at exam point 0101, the first
/// `n` participants registered for both.
fn plan(n: usize) -> ppe::model::Plan {
    let mut plan = ppe::plan::read_plan_file(&crate::common::fixture("plan-sample.json")).unwrap().0;
    let base = plan.exams[0].clone();
    let oral = ppe::model::Exam {
        exam_id: ORAL.into(),
        subject_code: "29".into(),
        subject_name: "Английский язык (устная часть)".into(),
        kit: String::new(),
        ..base.clone()
    };
    let kege =
        ppe::model::Exam {
            exam_id: KEGE.into(), subject_code: "25".into(), subject_name: "Информатика".into(), date: "2027.05.29".into(), ..base
        };
    plan.exams.extend([oral, kege]);
    let ids: Vec<String> = plan.participants.iter().take(n).map(|p| p.participant_id.clone()).collect();
    for exam in [ORAL, KEGE] {
        for p in &ids {
            plan.registrations.push(ppe::model::Registration { exam_id: exam.into(), participant_id: p.clone(), ppe_code: PPE.into() });
        }
    }
    plan
}

pub(crate) fn ids(n: usize) -> Vec<String> {
    plan(n).participants.iter().take(n).map(|p| p.participant_id.clone()).collect()
}

/// The box's database holds the plan, `exam` seated row by row in `room` (3 columns), and
/// everyone present.
pub(crate) fn set_up_box(box_dir: &Path, exam: &str, room: &str, n: usize) {
    std::fs::create_dir_all(box_dir.join("state")).unwrap();
    let mut conn = ppe::store::open(&box_dir.join("state/ppe.db")).unwrap();
    let tx = conn.transaction().unwrap();
    ppe::plan::store::replace_plan(&tx, &plan(n), "2027-05-27T00:00:00Z", "test", "-").unwrap();
    let seats: Vec<_> = ids(n)
        .into_iter()
        .enumerate()
        .map(|(i, p)| ppe::model::SeatAssignment {
            exam_id: exam.into(),
            participant_id: p,
            ppe_code: PPE.into(),
            auditorium: room.into(),
            row: (i / 3 + 1) as u16,
            column: (i % 3 + 1) as u16,
            manual: false,
        })
        .collect();
    ppe::seating::store::replace_seating(&tx, exam, PPE, &seats).unwrap();
    for p in ids(n) {
        let present = ppe::attendance::ExamEvent {
            medical_worker_id: String::new(),
            exam_id: exam.into(),
            participant_id: p,
            kind: ppe::attendance::EventKind::Present,
            at: "2027-05-27T03:00:00Z".into(),
            reason: String::new(),
            gek_worker_id: String::new(),
            actor: "test".into(),
        };
        ppe::attendance::store::event_insert(&tx, &present, "2027-05-27T03:00:00Z").unwrap();
    }
    tx.commit().unwrap();
}

pub(crate) fn run(program: &str, args: &[&str]) {
    let o = Command::new(program).args(args).output().unwrap_or_else(|e| panic!("{program}: {e} (apt-get install -y sox espeak-ng ffmpeg)"));
    assert!(o.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&o.stderr));
}

/// A spoken answer: espeak-ng speaking into a WAV file (22 050 Hz mono), about 3 s.
pub(crate) fn speak(to: &Path) {
    run(
        "espeak-ng",
        &["-v", "en", "-s", "150", "-w", to.to_str().unwrap(), "My favourite subject at school is history, because I like old stories."],
    );
}

pub(crate) fn ffmpeg(from: &Path, to: &Path, codec: &str) {
    run("ffmpeg", &["-loglevel", "error", "-y", "-i", from.to_str().unwrap(), "-c:a", codec, to.to_str().unwrap()]);
}

pub(crate) fn recordings(config: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["edge", "recordings"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--config", config.to_str().unwrap()]);
    ppe(&all)
}

fn files(box_dir: &Path, exam: &str) -> Vec<ppe::recordings::store::RecordingFileRow> {
    ppe::recordings::store::files_for_exam(&ppe::store::open(&box_dir.join("state/ppe.db")).unwrap(), exam).unwrap()
}

fn file_named<'a>(rows: &'a [ppe::recordings::store::RecordingFileRow], name: &str) -> &'a ppe::recordings::store::RecordingFileRow {
    rows.iter().find(|f| f.source_name == name).unwrap_or_else(|| panic!("{name} not kept"))
}

/// A box pointed at `hub_url` whose recordings are judged by a 1–10 s range.
pub(crate) fn oral_box(dir: &Path, hub_url: &str, hub_public: &str, n: usize) -> (PathBuf, String) {
    let (config, public) = make_box(dir, hub_url, hub_public);
    let mut toml = std::fs::read_to_string(&config).unwrap();
    toml.push_str("[recordings]\nspeaking_seconds = [1, 10]\nanswer_name_pattern = \"kege_{room}_{place}\"\n");
    std::fs::write(&config, toml).unwrap();
    set_up_box(dir, ORAL, "103", n);
    (config, public)
}

/// Recordings for participants 0..6 of the oral exam (a WAV, an MP3, an OGG, a silent one, a
/// too short one, a truncated one), none for participant 6, and a good one named to a code
/// nobody has.
fn make_recordings(dir: &Path, p: &[String]) -> PathBuf {
    let from = dir.join("station");
    let work = dir.join("work");
    std::fs::create_dir_all(&from).unwrap();
    std::fs::create_dir_all(&work).unwrap();
    let spoken = work.join("spoken.wav");
    speak(&spoken);
    let name = |i: usize, ext: &str| from.join(format!("{PPE}_103_{}_{}.{ext}", i + 1, p[i]));
    std::fs::copy(&spoken, name(0, "wav")).unwrap();
    ffmpeg(&spoken, &name(1, "mp3"), "libmp3lame");
    ffmpeg(&spoken, &name(2, "ogg"), "libvorbis");
    run("sox", &["-n", "-r", "16000", "-c", "1", "-b", "16", name(3, "wav").to_str().unwrap(), "trim", "0", "3"]);
    run("sox", &[spoken.to_str().unwrap(), name(4, "wav").to_str().unwrap(), "trim", "0", "0.5"]);
    let whole = std::fs::read(&spoken).unwrap();
    std::fs::write(name(5, "wav"), &whole[..whole.len() * 6 / 10]).unwrap();
    run("sox", &[spoken.to_str().unwrap(), from.join(format!("{PPE}_103_9_P0099999.wav")).to_str().unwrap(), "vol", "0.8"]);
    from
}

#[test]
fn recordings_are_decoded_matched_or_kept_with_their_reason_and_completeness_names_the_missing() {
    let t = tempfile::tempdir().unwrap();
    let box_dir = t.path().join("box");
    let (config, _) = oral_box(&box_dir, "http://127.0.0.1:9", &"00".repeat(32), 7);
    let p = ids(7);
    let station = make_recordings(t.path(), &p);

    let o = recordings(&config, &["import", station.to_str().unwrap(), "--exam", ORAL]);
    assert!(o.status.success(), "import: {}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("принято файлов: 7, сопоставлено: 3, к разбору: 4"), "{out}");
    let rows = files(&box_dir, ORAL);
    let status = |i: usize, ext: &str| {
        let f = file_named(&rows, &format!("{PPE}_103_{}_{}.{ext}", i + 1, p[i]));
        (f.status.as_str(), f.defect.as_str(), f.participant_id.as_deref())
    };
    for (i, ext) in [(0, "wav"), (1, "mp3"), (2, "ogg")] {
        assert_eq!(status(i, ext), ("matched", "", Some(p[i].as_str())), "{ext}");
    }
    assert_eq!(status(3, "wav"), ("to_resolve", "silent", Some(p[3].as_str())));
    assert_eq!(status(4, "wav"), ("to_resolve", "too_short", Some(p[4].as_str())));
    assert_eq!(status(5, "wav"), ("to_resolve", "truncated", Some(p[5].as_str())));
    let unknown = file_named(&rows, &format!("{PPE}_103_9_P0099999.wav"));
    assert_eq!((unknown.status.as_str(), unknown.defect.as_str(), unknown.participant_id.as_deref()), ("to_resolve", "unknown_participant", None));
    // The decoder measured the spoken answer in every format (espeak-ng: about 5 s).
    for f in rows.iter().filter(|f| f.status == "matched") {
        let ms = f.duration_ms.unwrap();
        assert!((2000..8000).contains(&ms), "{}: {ms} ms", f.source_name);
        assert!(f.rms_dbfs.unwrap() > -35.0, "{}: {:?}", f.source_name, f.rms_dbfs);
    }
    // Every file, good or bad, is kept byte for byte under its hash.
    for f in &rows {
        let kept = std::fs::read(&f.path).unwrap();
        assert_eq!(ppe::util::sha256_hex(&kept), f.sha256);
        assert_eq!(kept, std::fs::read(station.join(&f.source_name)).unwrap());
    }
    // Completeness names the missing, the broken and the unmatched in Russian.
    for line in [
        format!("нет записи участника {}", p[6]),
        format!("запись участника {}: тишина", p[3]),
        format!("запись участника {} длится 0.5 с, меньше ожидаемых 1 с", p[4]),
        format!("запись участника {}: файл обрезан", p[5]),
        format!("файл «{PPE}_103_9_P0099999.wav» не сопоставлен с участником: участник с кодом P0099999 не зарегистрирован"),
    ] {
        assert!(out.contains(&line), "{line}\n{out}");
    }
    // The same folder again stores nothing new.
    let again = recordings(&config, &["import", station.to_str().unwrap(), "--exam", ORAL]);
    assert!(stdout(&again).contains("принято файлов: 0, сопоставлено: 0, к разбору: 0, уже были приняты: 7"), "{}", stdout(&again));

    // A person resolves: a truncated file cannot be accepted; the silence was the participant's
    // own (accepted); the foreign file is set aside. Each with an audit entry.
    let id_of = |i: usize, ext: &str| file_named(&rows, &format!("{PPE}_103_{}_{}.{ext}", i + 1, p[i])).file_id.clone();
    let o = recordings(&config, &["attach", &id_of(5, "wav"), "--exam", ORAL, "--participant", &p[5], "--note", "прослушано"]);
    assert!(!o.status.success() && stderr(&o).contains("нельзя принять"), "{}", stderr(&o));
    let o = recordings(
        &config,
        &["attach", &id_of(3, "wav"), "--exam", ORAL, "--participant", &p[3], "--note", "участник молчал: подтверждено организатором"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = recordings(&config, &["attach", &id_of(4, "wav"), "--exam", ORAL, "--participant", &p[0], "--note", "не тот"]);
    assert!(!o.status.success() && stderr(&o).contains("уже есть принятый файл"), "{}", stderr(&o));
    let o = recordings(&config, &["set-aside", &unknown.file_id, "--exam", ORAL, "--reason", "запись другого ППЭ"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let list = stdout(&recordings(&config, &["list", "--exam", ORAL]));
    assert!(list.contains("комплектность: 4 из 7"), "{list}");
    assert!(!list.contains("P0099999.wav» не сопоставлен"), "a set-aside file is not counted: {list}");
    let conn = ppe::store::open(&box_dir.join("state/ppe.db")).unwrap();
    let actions: Vec<String> = ppe::audit::store::all(&conn).unwrap().into_iter().map(|e| e.action).collect();
    assert_eq!(actions.iter().filter(|a| *a == "recordings.file_taken").count(), 7);
    assert!(actions.iter().any(|a| a == "recordings.file_attached") && actions.iter().any(|a| a == "recordings.file_set_aside"));
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in entries {
        w.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
        std::io::Write::write_all(&mut w, bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[test]
fn kege_answer_archives_match_by_workstation_and_a_moved_participant_by_the_reserve_one() {
    let t = tempfile::tempdir().unwrap();
    let box_dir = t.path().join("box");
    let (config, _) = oral_box(&box_dir, "http://127.0.0.1:9", &"00".repeat(32), 6);
    set_up_box(&box_dir, KEGE, "101", 6);
    let p = ids(6);
    // Room 101 is 6 × 3: seats are workstations 1–18, the reserve ones 19 and 20.
    let o = recordings(&config, &["move", "--exam", KEGE, "--participant", &p[1], "--to", "19", "--reason", "отказ станции № 2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("со станции № 2 на резервную станцию № 19"), "{}", stdout(&o));
    for (to, why) in [("19", "уже занята"), ("7", "не резервная"), ("21", "не резервная")] {
        let o = recordings(&config, &["move", "--exam", KEGE, "--participant", &p[2], "--to", to, "--reason", "отказ станции № 3"]);
        assert!(!o.status.success() && stderr(&o).contains(why), "{to}: {}", stderr(&o));
    }
    let station = t.path().join("kege");
    std::fs::create_dir_all(&station).unwrap();
    let answers = |i: usize| zip_of(&[("answers.txt", format!("participant {i}: 1) 42\n").as_bytes()), ("27.py", b"print(sum(range(10)))\n")]);
    for (ws, i) in [(1, 0), (19, 1), (3, 2), (4, 3)] {
        std::fs::write(station.join(format!("kege_101_{ws}.zip")), answers(i)).unwrap();
    }
    // Workstation 5's archive is cut short; workstation 6 saved nothing.
    let broken = answers(4);
    std::fs::write(station.join("kege_101_5.zip"), &broken[..broken.len() / 2]).unwrap();

    let ctx = ppe::context::EdgeContext::open(&config).unwrap();
    let conn = ctx.db().unwrap();
    let request = ppe::recordings::ops::ImportRequest {
        exam_id: KEGE,
        ppe_code: PPE,
        dir: &station,
        store_dir: box_dir.join("state/recordings"),
        actor: "test",
    };
    let report = ppe::recordings::ops::import_folder(&conn, &ctx.clock, &ctx.config.recordings, &request).unwrap();
    assert_eq!((report.stored, report.matched, report.to_resolve), (5, 4, 1), "{report:?}");
    let rows = files(&box_dir, KEGE);
    assert_eq!(
        file_named(&rows, "kege_101_19.zip").participant_id.as_deref(),
        Some(p[1].as_str()),
        "the reserve workstation is the moved participant's"
    );
    assert!(rows.iter().all(|f| f.kind == "answer_file"));
    let facts: serde_json::Value = serde_json::from_str(&file_named(&rows, "kege_101_1.zip").facts).unwrap();
    assert_eq!(facts["entries"], serde_json::json!(["answers.txt", "27.py"]));
    let (kind, c) = ppe::recordings::facts::completeness_now(&conn, KEGE, PPE).unwrap().unwrap();
    assert_eq!((c.expected, c.received), (6, 4));
    let lines = c.lines_ru(kind);
    assert!(lines.iter().any(|l| l.starts_with(&format!("файл ответов участника {} не читается: архив не открывается", p[4]))), "{lines:?}");
    assert!(lines.contains(&format!("нет файла ответов участника {}", p[5])), "{lines:?}");
    // The move is recorded with its reason, once.
    let moves = ppe::recordings::store::moves_for_exam(&conn, KEGE).unwrap();
    assert_eq!(moves.len(), 1);
    assert_eq!((moves[0].from_workstation, moves[0].to_workstation, moves[0].reason.as_str()), (2, 19, "отказ станции № 2"));

    // ППЭ-13-03-К and ППЭ-14-02-К from the day's data: the room's workstations, the move, the files.
    let plan = ppe::plan::store::load_plan(&conn).unwrap();
    let exam = plan.exams.iter().find(|e| e.exam_id == KEGE).unwrap();
    let seats = ppe::seating::store::seat_assignments_for_exam(&conn, KEGE).unwrap();
    let events = ppe::attendance::store::events_for_exam(&conn, KEGE).unwrap();
    let status = |p: &str| ppe::attendance::state_of(events.iter().filter(|e| e.participant_id == p)).unwrap().status;
    let reserve = |room: &str| ctx.config.recordings.reserve_for(room);
    let rows = ppe::printing::inputs::kege_room_rows(&plan.auditoriums, &seats, &status, &moves, &rows, &reserve);
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!((r.workstations.as_str(), r.reserve_workstations.as_str()), ("1–6", "19–20"));
    assert_eq!((r.seated, r.present, r.moved_to_reserve, r.answer_files, r.files_to_resolve), (6, 6, 1, 4, 1));
    let header = ppe::printing::inputs::exam_header(&plan, exam, PPE);
    let key = ppe::sheet_code::sheet_key(b"box secret");
    let sheet = |number| ppe::sheet_code::SheetId { exam_id: KEGE.into(), ppe_code: PPE.into(), kind: ppe::sheet_code::SheetKind::Statement, number };
    let summary = ppe::printing::forms::kege_summary_pdf(
        &ppe::printing::forms::KegeSummaryInput { exam: header.clone(), rows: rows.clone(), moves: vec![], first_sheet: sheet(900) },
        &key,
    )
    .unwrap();
    let text = crate::formcheck::text_layout(&summary.bytes);
    crate::formcheck::assert_whole(
        &text,
        &[
            "ППЭ-13-03-К",
            "Сводная ведомость учёта участников и использования экзаменационных материалов в ППЭ (КЕГЭ)",
            "Номера рабочих станций",
            "Пересажены на резервную станцию",
            "Получено файлов ответов",
            "Информатика",
            "1–6",
            "19–20",
            "Итого",
            "лист 1 из 1",
        ],
    );
    crate::formcheck::assert_signatures(&summary.bytes, 3);
    let materials = ppe::printing::forms::KegeMaterialsRow {
        room: r.clone(),
        forms_issued: 6,
        issued_at: "09:45".into(),
        forms_returned: 6,
        returned_at: "14:10".into(),
    };
    let issue = ppe::printing::forms::kege_materials_pdf(
        &ppe::printing::forms::KegeMaterialsInput { exam: header, rows: vec![materials], first_sheet: sheet(901) },
        &key,
    )
    .unwrap();
    let text = crate::formcheck::text_layout(&issue.bytes);
    crate::formcheck::assert_whole(
        &text,
        &[
            "ППЭ-14-02-К",
            "Ведомость выдачи и возврата экзаменационных материалов по аудиториям ППЭ (КЕГЭ)",
            "Резервные станции",
            "Подпись получившего организатора",
            "09:45",
            "14:10",
            "19–20",
        ],
    );
    crate::formcheck::assert_signatures(&issue.bytes, 2);
    // Each form carries its sheet code: the QR code on the page reads back as this form's sheet.
    for (doc, number) in [(&summary, 900), (&issue, 901)] {
        let page = &crate::formcheck::render_png(&doc.bytes, 150, 0.0)[0];
        let codes = ppe::scanning::intake::decode_codes(page);
        let id = codes
            .iter()
            .find_map(|c| ppe::sheet_code::decode(c, &key).ok())
            .unwrap_or_else(|| panic!("no sheet code of ours on {}: {codes:?}", doc.form));
        assert_eq!((id.kind, id.number), (ppe::sheet_code::SheetKind::Statement, number), "{}", doc.form);
    }
}

#[test]
fn the_bundle_carries_each_recording_and_our_hub_verifies_it_and_lists_it_on_the_receipt() {
    let t = tempfile::tempdir().unwrap();
    let hub = start_hub(&t.path().join("hub"));
    hub.import_plan(&plan(2));
    let box_dir = t.path().join("box");
    let (config, public) = oral_box(&box_dir, &hub.url, &hub.hub_public_hex, 2);
    hub.register_box(PPE, &public);
    let p = ids(2);
    let station = t.path().join("station");
    std::fs::create_dir_all(&station).unwrap();
    speak(&station.join(format!("{PPE}_103_1_{}.wav", p[0])));
    ffmpeg(&station.join(format!("{PPE}_103_1_{}.wav", p[0])), &station.join(format!("{PPE}_103_2_{}.ogg", p[1])), "libvorbis");
    let o = recordings(&config, &["import", station.to_str().unwrap(), "--exam", ORAL]);
    assert!(stdout(&o).contains("сопоставлено: 2"), "{}{}", stdout(&o), stderr(&o));

    let o = ppe(&["edge", "upload", "--config", config.to_str().unwrap(), "--exam", ORAL]);
    assert!(o.status.success(), "upload: {}", stderr(&o));
    let manifest: ppe::upload::SignedManifest =
        serde_json::from_slice(&std::fs::read(box_dir.join("state/bundles").join(ORAL).join("manifest.json")).unwrap()).unwrap();
    let rows = files(&box_dir, ORAL);
    let listed: Vec<_> = manifest.manifest.files.iter().filter(|f| f.kind == "recording").collect();
    assert_eq!(listed.len(), 2);
    assert_eq!(manifest.manifest.counts.get("recordings"), Some(&2));
    for f in &rows {
        let entry = listed.iter().find(|m| m.sha256 == f.sha256).unwrap();
        assert_eq!((entry.size, entry.participant_id.as_deref()), (f.size, f.participant_id.as_deref()));
        assert_eq!(hub.blob(&f.sha256).unwrap(), std::fs::read(&f.path).unwrap(), "the hub holds the recording byte for byte");
    }
    // The hub's signed receipt lists every recording with its hash and participant.
    let receipt_file =
        std::fs::read_dir(box_dir.join("state/receipts")).unwrap().flatten().find(|e| !e.file_name().to_string_lossy().starts_with('.')).unwrap();
    let receipt: ppe::upload::Receipt = serde_json::from_slice(&std::fs::read(receipt_file.path()).unwrap()).unwrap();
    let mut on_receipt: Vec<_> = receipt.receipt.participant_files.iter().map(|f| (f.participant_id.clone(), f.sha256.clone())).collect();
    let mut taken: Vec<_> = rows.iter().map(|f| (f.participant_id.clone().unwrap(), f.sha256.clone())).collect();
    on_receipt.sort();
    taken.sort();
    assert_eq!(on_receipt, taken);
    assert_eq!(ppe::upload::verify_receipt(&receipt, &hub.hub_public_hex, &manifest.manifest), Ok(()));

    // A bundle listing a recording the hub never received is refused, signature and all.
    let key = ppe::keys::ed25519_from_pkcs8(&std::fs::read(box_dir.join("keys/signing.pk8")).unwrap()).unwrap();
    let mut more = manifest.manifest.clone();
    more.files.push(ppe::upload::ManifestFile {
        name: format!("{}.wav", "ab".repeat(32)),
        kind: "recording".into(),
        sha256: "ab".repeat(32),
        size: 1000,
        participant_id: Some(p[1].clone()),
    });
    let signed = ppe::upload::sign_manifest(more, &key);
    match ppe::upload::server::UploadCore::finalize(&hub.state, &signed, &ppe::context::BoxIdentity { ppe_code: PPE.into() }) {
        Err(ppe::upload::server::CoreError::Refused(e)) => assert_eq!(e.code(), "missing_file", "{e}"),
        other => panic!("a bundle missing a listed recording got {other:?}"),
    }
}
