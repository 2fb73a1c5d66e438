//! An exam's own windows (issue 18 item 6) over real mutual TLS on 127.0.0.1, the hub's clock
//! simulated: an ИС-9 exam in the hub's plan with every window cell empty takes seed 002's
//! calendar — its documents package (instructions, expert protocols, statements) published
//! beside its КИМ, its key refused a minute before 10:00 a week ahead and released a minute
//! after without a ГЭК member, pulled, verified and decrypted by the box; its КИМ key refused at
//! 07:29 on the day and released at 07:31 to the ГЭК member; its upload judged by the hub in time
//! two days later and late ten days later. The written exam of the same hub keeps its windows.

use std::path::Path;

use ppe::model::{Exam, ExamKind, Registration, WorkerAssignment};
use ppe::monitoring::judgement::{point_status, Delivered, Health, PointInputs, Schedule, StatusRules};

use crate::common::*;
use crate::materials::{run_ok, s, Hub, World, EXAM};

const IS9: &str = "is-9";
const DATE: &str = "2027.02.14";
/// Point 0101 is at UTC+7: 09:00 there is 02:00Z.
const DOCS_BEFORE: &str = "2027-02-07T02:59:00Z";
const DOCS_AFTER: &str = "2027-02-07T03:01:00Z";
const KIM_0729: &str = "2027-02-14T00:29:00Z";
const KIM_0731: &str = "2027-02-14T00:31:00Z";

fn t(text: &str) -> chrono::DateTime<chrono::Utc> {
    ppe::clock::parse_now(text).unwrap()
}

/// The hub's plan with an ИС-9 exam at 0101 (the point's participants of ege-02, every window
/// cell empty) and the point's ГЭК member on duty that day; returns the member.
fn add_interview(w: &World) -> String {
    let gek = w.gek_member("0101");
    let mut db = ppe::store::open(&w.dir.join("hub/state/hub.db")).unwrap();
    let mut plan = ppe::plan::store::load_plan(&db).unwrap();
    let written = plan.exams.iter().find(|e| e.exam_id == EXAM).unwrap().clone();
    let interview = Exam {
        exam_id: IS9.into(),
        kind: ExamKind::Interview,
        level: 9,
        subject_code: "01".into(),
        subject_name: "Итоговое собеседование по русскому языку".into(),
        date: DATE.into(),
        start: "09:00".into(),
        duration_min: 480,
        ..written
    };
    assert!(interview.materials_open_at.is_empty() && interview.documents_open_at.is_empty() && interview.upload_due_at.is_empty());
    plan.exams.push(interview);
    let here: Vec<String> =
        plan.registrations.iter().filter(|r| r.exam_id == EXAM && r.ppe_code == "0101").map(|r| r.participant_id.clone()).collect();
    for p in here {
        plan.registrations.push(Registration { exam_id: IS9.into(), participant_id: p, ppe_code: "0101".into() });
    }
    plan.worker_assignments.push(WorkerAssignment { worker_id: gek.clone(), ppe_code: "0101".into(), date: DATE.into(), reserve: false });
    let tx = db.transaction().unwrap();
    ppe::plan::store::replace_plan(&tx, &plan, "2027-01-20T00:00:00Z", "test", "00").unwrap();
    tx.commit().unwrap();
    gek
}

fn folder(dir: &Path, files: &[(&str, &str)]) -> std::path::PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join(name), ppe::demo::demo_pdf(text)).unwrap();
    }
    dir.to_path_buf()
}

fn both(o: &std::process::Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
}

#[test]
fn an_interview_has_its_documents_a_week_before_its_kim_at_0730_and_its_upload_days_later_and_a_written_exam_keeps_its_windows() {
    let w = World::new(&[5_000], 65_536);
    let gek = add_interview(&w);
    let hub_cfg = s(&w.hub_toml);

    // A written exam has no documents package; its КИМ window is as before (start − 60 min).
    let docs = folder(
        &w.dir.join("is9-docs"),
        &[("instruction.pdf", "Instruction IS-9"), ("protocol-expert.pdf", "Expert protocol"), ("statement.pdf", "Statement")],
    );
    let o = ppe(&["hub", "publish", "--exam", EXAM, "--materials", s(&docs), "--documents", "--config", hub_cfg]);
    assert!(!o.status.success() && stderr(&o).contains("нет пакета документов"), "{}", both(&o));
    let written = w.manifest("0101").manifest;
    assert_eq!((written.window_open.as_str(), written.window_close.as_str()), ("2027-05-27T02:00:00Z", "2027-05-27T03:30:00Z"));
    assert_eq!(written.kind, ppe::materials::PackageKind::Kim);

    // ИС-9: the documents package and the КИМ package, published apart.
    let kim = folder(&w.dir.join("is9-kim"), &[("kim-variant-1.pdf", "KIM IS-9")]);
    let o = ppe(&["hub", "publish", "--exam", IS9, "--materials", s(&kim), "--documents", "--config", hub_cfg]);
    assert!(!o.status.success() && stderr(&o).contains("не может быть КИМ"), "КИМ never travels as documents: {}", both(&o));
    let o = run_ok(&["hub", "publish", "--exam", IS9, "--materials", s(&docs), "--documents", "--config", hub_cfg]);
    assert!(stdout(&o).contains("is-9~documents 0101 версия 1 (файлов: 3)"), "{}", stdout(&o));
    run_ok(&["hub", "publish", "--exam", IS9, "--materials", s(&kim), "--config", hub_cfg]);
    let publish = w.dir.join("hub/state/publish");
    let signed: ppe::materials::SignedManifest =
        serde_json::from_slice(&std::fs::read(publish.join("is-9~documents/0101/manifest.json")).unwrap()).unwrap();
    let m = &signed.manifest;
    assert_eq!((m.kind, m.window_open.as_str()), (ppe::materials::PackageKind::Documents, "2027-02-07T03:00:00Z"), "07.02 at 10:00 +07");
    let signed: ppe::materials::SignedManifest = serde_json::from_slice(&std::fs::read(publish.join("is-9/0101/manifest.json")).unwrap()).unwrap();
    assert_eq!(signed.manifest.window_open, "2027-02-14T00:30:00Z", "КИМ from 07:30 +07 on the day");

    // A minute before the documents' moment: the ciphertext arrives, the key does not.
    let hub = Hub::start(&w.hub_toml, DOCS_BEFORE);
    let o = w.edge(&hub, &["pull", "--exam", IS9, "--documents", "--by", "tech1"]);
    assert!(!o.status.success() && stderr(&o).contains("ещё не открыто"), "{}", both(&o));
    let ctx = w.edge_ctx(&hub);
    assert!(ppe::materials::documents::documents(&ctx, &IS9.into()).unwrap().is_empty());
    assert!(ppe::materials::documents::open_document(&ctx, &IS9.into(), "instruction.pdf").is_err());
    drop(hub);
    // A minute after: released without a ГЭК member, every file verified and opened.
    let hub = Hub::start(&w.hub_toml, DOCS_AFTER);
    let o = w.edge(&hub, &["pull", "--exam", IS9, "--documents", "--by", "tech1"]);
    assert!(o.status.success(), "{}", both(&o));
    let report: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(report["key_received"], true);
    let ctx = w.edge_ctx(&hub);
    let held: Vec<String> = ppe::materials::documents::documents(&ctx, &IS9.into()).unwrap().into_iter().map(|d| d.name).collect();
    assert_eq!(held, ["instruction.pdf", "protocol-expert.pdf", "statement.pdf"]);
    for (name, text) in [("instruction.pdf", "Instruction IS-9"), ("statement.pdf", "Statement")] {
        assert_eq!(&ppe::materials::documents::open_document(&ctx, &IS9.into(), name).unwrap(), &ppe::demo::demo_pdf(text), "{name}");
    }
    // The КИМ key is not the documents': a week early it is refused, ГЭК member or not.
    let o = w.edge(&hub, &["pull", "--exam", IS9, "--by", "tech1"]);
    assert!(o.status.success(), "the КИМ ciphertext may be staged early: {}", both(&o));
    let (key, pin) = w.enroll_gek(&gek);
    let o = w.edge(&hub, &["activate", "--exam", IS9, "--gek-key", s(&key), "--pin-file", s(&pin)]);
    assert!(!o.status.success() && stderr(&o).contains("ещё не открыто"), "{}", both(&o));
    drop(hub);

    // The day: КИМ at 07:29 refused, at 07:31 released to the ГЭК member.
    let hub = Hub::start(&w.hub_toml, KIM_0729);
    let o = w.edge(&hub, &["activate", "--exam", IS9, "--gek-key", s(&key), "--pin-file", s(&pin)]);
    let log = ppe::materials::store::hub_key_releases(&ppe::store::open(&w.dir.join("hub/state/hub.db")).unwrap(), IS9).unwrap();
    assert!(!o.status.success() && stderr(&o).contains("ещё не открыто"), "07:29: {} {log:?}", both(&o));
    drop(hub);
    let hub = Hub::start(&w.hub_toml, KIM_0731);
    let o = w.edge(&hub, &["activate", "--exam", IS9, "--gek-key", s(&key), "--pin-file", s(&pin)]);
    assert!(o.status.success(), "07:31: {}", both(&o));
    let ctx = w.edge_ctx(&hub);
    assert_eq!(&ppe::materials::open_decrypted(&ctx, IS9, "kim-variant-1.pdf").unwrap(), &ppe::demo::demo_pdf("KIM IS-9"));
    drop(hub);
    let hub_db = ppe::store::open(&w.dir.join("hub/state/hub.db")).unwrap();
    let log = ppe::materials::store::hub_key_releases(&hub_db, "is-9~documents").unwrap();
    assert_eq!(
        log.iter().map(|(_, outcome, reason)| format!("{outcome} {reason}")).collect::<Vec<_>>(),
        ["refused window_not_open", "released released"]
    );

    // After the exam both keys leave tmpfs: the КИМ package's and the documents package's.
    let keys = [w.dir.join("box/run/is-9/package.key"), w.dir.join("box/run/is-9~documents/package.key")];
    assert!(keys.iter().all(|k| k.is_file()), "{keys:?}");
    let o = ppe(&["edge", "wipe", "--exam", IS9, "--now", "2027-02-14T12:00:00Z", "--config", s(&w.box_toml)]);
    assert!(o.status.success(), "wipe: {}", both(&o));
    assert!(keys.iter().all(|k| !k.exists()), "a key outlived the exam: {keys:?}");

    // The upload, judged by the hub from its plan: due 20.02 by the end of the day.
    let plan = ppe::plan::store::load_plan(&hub_db).unwrap();
    let exam = plan.exams.iter().find(|e| e.exam_id == IS9).unwrap();
    let schedule = Schedule::in_plan(&plan, exam, "0101").unwrap();
    assert_eq!(schedule.deadline, t("2027-02-20T16:59:00Z"), "20.02 23:59 +07");
    let delivered = Delivered::default();
    let inputs = PointInputs { schedule, latest: None, last_progress_at: None, samples: &[], delivered: &delivered };
    let judged = |now| point_status(&inputs, &StatusRules::default(), now).health;
    assert_ne!(judged(schedule.end + chrono::Duration::days(2)), Health::Late, "two days later is in time");
    assert_eq!(judged(schedule.end + chrono::Duration::days(10)), Health::Late, "ten days later is late");
    let ege = plan.exams.iter().find(|e| e.exam_id == EXAM).unwrap();
    let written = Schedule::in_plan(&plan, ege, "0101").unwrap();
    assert_eq!(written.deadline - written.end, chrono::Duration::minutes(60), "the written exam's deadline is as before");
}
