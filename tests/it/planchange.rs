//! Plan changes under control (issue 16 item 8) through the real binary: a partial file keeps
//! the tables it lacks, a large removal needs --force with a reason (audited), a per-ТУ file
//! changes only its ТУ, the freeze date asks for the official letter, and an exam-day change
//! is refused unless forced.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::*;

struct Hub {
    _dir: tempfile::TempDir,
    root: PathBuf,
    toml: PathBuf,
}

impl Hub {
    fn new() -> Hub {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let toml = init_hub(&root);
        Hub { _dir: dir, root, toml }
    }

    fn import(&self, file: &Path, extra: &[&str]) -> std::process::Output {
        let mut args = vec!["hub", "import-plan", file.to_str().unwrap(), "--config", self.toml.to_str().unwrap()];
        args.extend_from_slice(extra);
        ppe(&args)
    }

    fn import_ok(&self, file: &Path, extra: &[&str]) -> String {
        let o = self.import(file, extra);
        assert!(o.status.success(), "import {} {extra:?}: {}{}", file.display(), stdout(&o), stderr(&o));
        stdout(&o)
    }

    /// The import is refused (non-zero) and the plan is as before; returns the error text.
    fn import_refused(&self, file: &Path, extra: &[&str]) -> String {
        let before = self.plan();
        let o = self.import(file, extra);
        assert!(!o.status.success(), "import {} {extra:?} should be refused: {}", file.display(), stdout(&o));
        assert_eq!(self.plan(), before, "a refused import writes nothing");
        stderr(&o)
    }

    fn plan(&self) -> Value {
        let out = self.root.join("export.json");
        let o = ppe(&["hub", "export-plan", "--out", out.to_str().unwrap(), "--config", self.toml.to_str().unwrap()]);
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap()
    }

    fn write(&self, name: &str, plan: &Value) -> PathBuf {
        let path = self.root.join(name);
        std::fs::write(&path, serde_json::to_vec_pretty(plan).unwrap()).unwrap();
        path
    }

    fn plan_log(&self) -> String {
        let o = ppe(&["hub", "plan-log", "--config", self.toml.to_str().unwrap()]);
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
    }

    /// Sets `[plan] key = value` in hub.toml.
    fn set_plan_config(&self, key: &str, value: toml::Value) {
        let mut v: toml::Value = toml::from_str(&std::fs::read_to_string(&self.toml).unwrap()).unwrap();
        let table = v.as_table_mut().unwrap().entry("plan").or_insert_with(|| toml::Value::Table(Default::default()));
        table.as_table_mut().unwrap().insert(key.into(), value);
        std::fs::write(&self.toml, toml::to_string(&v).unwrap()).unwrap();
    }

    fn audit_of_imports(&self) -> Vec<ppe::audit::AuditEntry> {
        let ctx = ppe::context::HubContext::open(&self.toml).unwrap();
        let conn = ctx.db().unwrap();
        ppe::audit::store::list(&conn, Some("plan.import"), 100).unwrap()
    }
}

fn len(plan: &Value, table: &str) -> usize {
    plan[table].as_array().map(Vec::len).unwrap_or(0)
}

/// Today's date at the hub (its default `[plan] utc_offset_min` is Moscow, +180).
fn hub_today(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::minutes(180) + chrono::Duration::days(days)).format("%Y.%m.%d").to_string()
}

#[test]
fn a_csv_of_only_the_exams_keeps_the_hubs_participants_points_and_workers() {
    let hub = Hub::new();
    hub.import_ok(&fixture("plan-sample.csv"), &[]);
    let before = hub.plan();
    // What a spreadsheet program writes when it saves the one sheet: no #table marker.
    let sample = std::fs::read_to_string(fixture("plan-sample.csv")).unwrap();
    let exams: Vec<&str> = sample.lines().skip(1).take_while(|l| !l.trim().is_empty()).collect();
    let csv = exams.join("\n").replace("Русский язык", "Русский язык (основной период)") + "\n";
    let file = hub.root.join("exams-sheet.csv");
    std::fs::write(&file, csv).unwrap();

    // --dry-run shows the changes and the verdict and writes nothing.
    let dry = hub.import_ok(&file, &["--dry-run"]);
    assert!(dry.contains("ничего не записано") && dry.contains("~ oge-01 Русский язык (основной период)"), "{dry}");
    assert_eq!(hub.plan(), before);

    let out = hub.import_ok(&file, &[]);
    assert!(out.contains("Таблицы из файла: exams\n"), "{out}");
    assert!(out.contains("Без изменений (нет в файле): exam_points, auditoriums, participants, registrations, workers, worker_assignments"), "{out}");
    assert!(out.contains("exams: добавлено 0, изменено 1, удалено 0") && out.contains("~ oge-01 Русский язык (основной период)"), "{out}");
    let after = hub.plan();
    for table in ["exam_points", "auditoriums", "participants", "registrations", "workers", "worker_assignments"] {
        assert_eq!(after[table], before[table], "{table} kept as the hub held it");
    }
    assert_eq!(len(&after, "participants"), 12);
    assert_eq!(after["exams"][1]["subject_name"], "Русский язык (основной период)");
    let log = hub.plan_log();
    assert!(log.contains("tables: exams; changes: {\"exams\""), "{log}");

    // --tables takes only the named tables of a whole file.
    let mut whole = hub.plan();
    whole["participants"][0]["phone"] = Value::String("+7 (900) 000-00-00".into());
    whole["exams"][0]["subject_name"] = Value::String("Не из этой загрузки".into());
    let out = hub.import_ok(&hub.write("whole.json", &whole), &["--tables", "participants"]);
    let skipped = out.lines().find(|l| l.starts_with("Пропущены (нет в --tables): ")).unwrap_or_else(|| panic!("{out}"));
    let mut skipped: Vec<&str> = skipped.split(": ").nth(1).unwrap().split(", ").collect();
    skipped.sort();
    assert_eq!(skipped, ["auditoriums", "exam_points", "exams", "registrations", "worker_assignments", "workers"], "{out}");
    assert!(out.contains("Таблицы из файла: participants\n"), "{out}");
    let now = hub.plan();
    assert_eq!(now["participants"][0]["phone"], "+7 (900) 000-00-00");
    assert_eq!(now["exams"], after["exams"], "exams were not named");
}

#[test]
fn a_file_dropping_half_of_the_participants_is_refused_and_passes_forced_with_a_reason_audited() {
    let hub = Hub::new();
    hub.import_ok(&fixture("plan-sample.json"), &[]);
    let mut plan = hub.plan();
    let kept: Vec<Value> = plan["participants"].as_array().unwrap()[..6].to_vec();
    let ids: Vec<String> = kept.iter().map(|p| p["participant_id"].as_str().unwrap().to_string()).collect();
    let dropped_name = plan["participants"][6]["surname"].as_str().unwrap().to_string();
    plan["participants"] = Value::Array(kept);
    let regs: Vec<Value> =
        plan["registrations"].as_array().unwrap().iter().filter(|r| ids.iter().any(|i| r["participant_id"] == i.as_str())).cloned().collect();
    plan["registrations"] = Value::Array(regs);
    let file = hub.write("half.json", &plan);

    let err = hub.import_refused(&file, &[]);
    assert!(err.contains("изменение плана отклонено, ничего не записано"), "{err}");
    assert!(err.contains("таблица participants: удаляется 6 из 12 записей (50%) — больше допустимых 10%"), "{err}");
    assert!(err.contains("participants: добавлено 0, изменено 0, удалено 6"), "the diff summary comes with the refusal: {err}");
    assert!(err.contains(&dropped_name), "the operator sees who would go: {err}");
    // --force needs a reason (clap refuses it before anything runs).
    let err = hub.import_refused(&file, &["--force"]);
    assert!(err.contains("--reason"), "{err}");

    let out = hub.import_ok(&file, &["--force", "--reason", "участники переведены в резервный день"]);
    assert!(out.contains("Принято с --force: таблица participants: удаляется 6 из 12"), "{out}");
    assert_eq!(len(&hub.plan(), "participants"), 6);
    let audit = hub.audit_of_imports();
    let last = &audit.last().unwrap().details;
    assert_eq!(last["reason"], "участники переведены в резервный день");
    assert!(last["forced"].as_array().is_some_and(|f| f.iter().any(|f| f.as_str().unwrap().contains("таблица participants"))), "{last}");
    assert_eq!(last["changes"]["participants"], serde_json::json!([0, 0, 6]));
    let everything: String = audit.iter().map(|e| e.details.to_string()).collect();
    assert!(!everything.contains(&dropped_name), "no names in the audit: {everything}");
    let log = hub.plan_log();
    assert!(log.contains("reason: участники переведены в резервный день") && log.contains("forced: таблица participants"), "{log}");
    assert!(!log.contains(&dropped_name), "the import record keeps keys, not names: {log}");
}

#[test]
fn a_per_ate_file_changes_only_that_ate() {
    let hub = Hub::new();
    let region = hub.root.join("region.json");
    let o = ppe(&["hub", "demo-plan", "--out", region.to_str().unwrap(), "--points", "6", "--participants", "300"]);
    assert!(o.status.success(), "{}", stderr(&o));
    hub.import_ok(&region, &[]);
    let before = hub.plan();
    let ate_of = |p: &Value| p["ate_code"].as_str().unwrap().to_string();
    let mut ates: Vec<String> = before["exam_points"].as_array().unwrap().iter().map(ate_of).collect();
    ates.sort();
    ates.dedup();
    assert!(ates.len() >= 2, "the region has several ТУ: {ates:?}");
    let ate = ates[0].clone();
    let points: Vec<String> =
        before["exam_points"].as_array().unwrap().iter().filter(|p| ate_of(p) == ate).map(|p| p["ppe_code"].as_str().unwrap().to_string()).collect();
    let ours = |row: &Value| points.iter().any(|p| row["ppe_code"] == p.as_str());
    let only = |table: &str| Value::Array(before[table].as_array().unwrap().iter().filter(|r| ours(r)).cloned().collect());
    let mut file =
        serde_json::json!({ "exam_points": only("exam_points"), "auditoriums": only("auditoriums"), "registrations": only("registrations") });
    file["exam_points"][0]["name"] = Value::String("ППЭ после ремонта".into());
    let file = hub.write("tu.json", &file);

    // Without --ate the same file would replace the region's points by this ТУ's: the hub's
    // rows at the other ТУ's points lose their point, and ФЛК names them as the hub's.
    let err = hub.import_refused(&file, &[]);
    assert!(err.contains("плана РЦОИ (её нет в файле): ППЭ «") && err.contains("нет в таблице exam_points"), "{err}");

    let out = hub.import_ok(&file, &["--ate", &ate]);
    assert!(out.contains("exam_points: добавлено 0, изменено 1, удалено 0"), "{out}");
    assert!(out.contains("auditoriums: без изменений") && out.contains("registrations: без изменений"), "{out}");
    let after = hub.plan();
    let changed: Vec<&Value> = after["exam_points"].as_array().unwrap().iter().filter(|p| p["name"] == "ППЭ после ремонта").collect();
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0]["ppe_code"], before["exam_points"].as_array().unwrap().iter().find(|p| ours(p)).unwrap()["ppe_code"]);
    for table in ["auditoriums", "participants", "registrations", "workers", "worker_assignments", "exams"] {
        assert_eq!(after[table], before[table], "{table}");
    }
    for (b, a) in before["exam_points"].as_array().unwrap().iter().zip(after["exam_points"].as_array().unwrap()) {
        if !ours(b) {
            assert_eq!(a, b, "another ТУ's point is untouched");
        }
    }
    // A per-ТУ file naming another ТУ's point is refused whole.
    let other = before["exam_points"].as_array().unwrap().iter().find(|p| !ours(p)).unwrap().clone();
    let bad = hub.write("tu-bad.json", &serde_json::json!({ "exam_points": [other] }));
    let err = hub.import_refused(&bad, &["--ate", &ate]);
    assert!(err.contains(&format!("загружается АТЕ «{ate}»")), "{err}");
    assert!(hub.plan_log().contains(&format!("[ate={ate}]")), "the import record names the scope");
}

#[test]
fn after_the_freeze_date_a_change_needs_a_reason_and_the_letter() {
    let hub = Hub::new();
    hub.import_ok(&fixture("plan-sample.json"), &[]);
    hub.set_plan_config("freeze_date", toml::Value::String(hub_today(0)));
    let mut plan = hub.plan();
    plan["participants"][0]["phone"] = Value::String("+7 (900) 000-00-00".into());
    let file = hub.write("phone.json", &plan);

    let err = hub.import_refused(&file, &[]);
    assert!(err.contains(&format!("план заморожен с {}: изменение только по официальному письму", hub_today(0))), "{err}");
    let err = hub.import_refused(&file, &["--reason", "исправлен телефон"]);
    assert!(err.contains("план заморожен"), "a reason without the letter: {err}");
    let out = hub.import_ok(&file, &["--reason", "исправлен телефон", "--letter", "№ 01-12/345 от 2026.05.10"]);
    assert!(out.contains("participants: добавлено 0, изменено 1, удалено 0") && out.contains("План заморожен"), "{out}");
    let log = hub.plan_log();
    assert!(log.contains("reason: исправлен телефон; letter: № 01-12/345 от 2026.05.10"), "{log}");
    assert_eq!(hub.audit_of_imports().last().unwrap().details["letter"], "№ 01-12/345 от 2026.05.10");
    // The same file again changes nothing and needs nothing.
    assert!(hub.import_ok(&file, &[]).contains("Изменений нет."));
    // A freeze date not yet reached asks for nothing.
    hub.set_plan_config("freeze_date", toml::Value::String(hub_today(2)));
    plan["participants"][0]["phone"] = Value::String("+7 (900) 000-00-01".into());
    hub.import_ok(&hub.write("phone2.json", &plan), &[]);
    // A freeze date that is no date names the key.
    hub.set_plan_config("freeze_date", toml::Value::String("31.13.2027".into()));
    let err = hub.import_refused(&file, &[]);
    assert!(err.contains("[plan] freeze_date"), "{err}");
}

#[test]
fn an_exam_day_change_is_refused_unless_forced_with_a_reason() {
    let hub = Hub::new();
    // The sample with its ЕГЭ today and its ОГЭ in two days, everything in the hub's zone.
    let mut plan: Value = serde_json::from_str(&std::fs::read_to_string(fixture("plan-sample.json")).unwrap()).unwrap();
    plan["exams"][0]["date"] = Value::String(hub_today(0));
    plan["exams"][1]["date"] = Value::String(hub_today(2));
    for e in plan["exams"].as_array_mut().unwrap() {
        e["utc_offset_min"] = Value::from(180);
    }
    for p in plan["exam_points"].as_array_mut().unwrap() {
        p["utc_offset_min"] = Value::from(180);
    }
    let assignments: Vec<Value> = plan["worker_assignments"].as_array().unwrap().iter().cloned().collect();
    plan["worker_assignments"] = Value::Array(
        assignments
            .into_iter()
            .map(|mut a| {
                a["date"] = Value::String(if a["date"] == "2027.05.27" { hub_today(0) } else { hub_today(2) });
                a
            })
            .collect(),
    );
    let file = hub.write("today.json", &plan);
    let err = hub.import_refused(&file, &[]);
    assert!(err.contains(&format!("изменение затрагивает экзамен ege-02 сегодня ({})", hub_today(0))), "{err}");
    hub.import_ok(&file, &["--force", "--reason", "план загружается в день экзамена по решению ГЭК"]);

    let stored = hub.plan();
    let registered = |exam: &str| -> Vec<String> {
        stored["registrations"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["exam_id"] == exam)
            .map(|r| r["participant_id"].as_str().unwrap().to_string())
            .collect()
    };
    let index_of = |id: &str| stored["participants"].as_array().unwrap().iter().position(|p| p["participant_id"] == id).unwrap();
    // A phone of a participant of today's ЕГЭ: refused.
    let mut changed = stored.clone();
    changed["participants"][index_of(&registered("ege-02")[0])]["phone"] = Value::String("+7 (900) 000-00-02".into());
    let today = hub.write("ege-phone.json", &changed);
    let err = hub.import_refused(&today, &[]);
    assert!(err.contains("изменение затрагивает экзамен ege-02 сегодня"), "{err}");
    // A participant of the ОГЭ in two days only: allowed.
    let mut changed = stored.clone();
    changed["participants"][index_of(&registered("oge-01")[0])]["phone"] = Value::String("+7 (900) 000-00-03".into());
    hub.import_ok(&hub.write("oge-phone.json", &changed), &[]);
    // Forced with a reason, the ЕГЭ change passes and the override is recorded.
    let out = hub.import_ok(&today, &["--force", "--reason", "телефон исправлен по заявлению"]);
    assert!(out.contains("Принято с --force: изменение затрагивает экзамен ege-02 сегодня"), "{out}");
    let log = hub.plan_log();
    assert!(log.contains("forced: изменение затрагивает экзамен ege-02 сегодня"), "{log}");
}
