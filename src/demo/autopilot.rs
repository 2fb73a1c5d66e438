//! The demo's exam day on one box, played on the simulated clock through the real code
//! paths: plan sync and pre-staging over mutual TLS, seating, kits, the ГЭК member obtaining
//! the key with their own key file and PIN once the hub opens the window, attendance
//! with a removal, an early finish and a kit replacement, the forms printed with their sheet
//! codes, scanning of the sheets and of every form's pages (rendered as page images with their
//! real codes: the demo's stand-in for paper), the upload over tus and
//! the hub's signed receipt. Each step prints one line. The day holds two exams of different
//! lengths at once: each is seated against the rooms the other holds, gets its key in its own
//! window, and runs to its own end, scan, upload and receipt.

use anyhow::Context;
use chrono::Duration;

use crate::attendance::{self, EventKind, ExamEvent};
use crate::context::EdgeContext;
use crate::model::{Exam, WorkerRole};
use crate::sheet_code::{self, SheetId};

pub const TECH_LOGIN: &str = "tech";
pub const GEK_LOGIN: &str = "gek";
/// Demo passwords (the demo's accounts exist only in its temporary folder).
pub const DEMO_PASSWORD: &str = "демо-пароль-2027";
/// The PIN of the demo ГЭК members' key files.
pub const DEMO_GEK_PIN: &str = "271828";
/// The folder beside the box's `ppe.toml` where the demo puts the members' key files.
pub const GEK_KEYS_DIR: &str = "gek-keys";

/// Where the demo keeps a ГЭК member's key file (their stick), beside the box's config.
pub fn demo_gek_key_file(box_dir: &std::path::Path, worker_id: &str) -> std::path::PathBuf {
    box_dir.join(GEK_KEYS_DIR).join(format!("{worker_id}.key"))
}

pub(super) fn say(ctx: &EdgeContext, text: &str) {
    println!("[{}] ППЭ {}: {text}", ctx.clock.now().format("%d.%m %H:%M UTC"), ctx.config.ppe_code);
}

/// Creates the box's demo accounts for a technical specialist and a ГЭК member of the plan.
pub(super) fn ensure_accounts(ctx: &EdgeContext, exam: &Exam) -> anyhow::Result<()> {
    let mut conn = ctx.db()?;
    let plan = crate::plan::store::load_plan(&conn)?;
    let on_duty = |role: WorkerRole| {
        plan.workers
            .iter()
            .filter(|w| w.roles.contains(&role))
            .find(|w| {
                plan.worker_assignments
                    .iter()
                    .any(|a| a.worker_id == w.worker_id && a.ppe_code == ctx.config.ppe_code && a.date == exam.date && !a.reserve)
            })
            .map(|w| w.worker_id.clone())
    };
    let now = ctx.clock.now_rfc3339();
    for (login, role) in [(TECH_LOGIN, WorkerRole::TechSpecialist), (GEK_LOGIN, WorkerRole::GekMember)] {
        if crate::accounts::store::account_get(&conn, login)?.is_some() {
            continue;
        }
        let worker = on_duty(role).with_context(|| format!("в плане нет работника с ролью {}", role.title_ru()))?;
        crate::accounts::create_account(&mut conn, login, &worker, role, DEMO_PASSWORD, &now)?;
    }
    Ok(())
}

/// A scanned page: white paper at ~100 dpi with the sheet's code as a QR code.
pub fn render_scanned_page(code: &str) -> anyhow::Result<Vec<u8>> {
    let qr = qrcode::QrCode::new(code.as_bytes())?;
    let symbol = qr.render::<image::Luma<u8>>().module_dimensions(4, 4).quiet_zone(true).build();
    // An A4 page with the corner fiducials, as every machine-read form has them.
    let mut page = crate::scanning::marks::blank_page(850);
    image::imageops::overlay(&mut page, &symbol, 560, 60);
    let mut out = std::io::Cursor::new(Vec::new());
    page.write_to(&mut out, image::ImageFormat::Png)?;
    Ok(out.into_inner())
}

pub(super) async fn wait_for(ctx: &EdgeContext, what: &str, mut done: impl FnMut() -> anyhow::Result<bool>) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    while !done()? {
        if started.elapsed() > std::time::Duration::from_secs(600) {
            anyhow::bail!("{what}: не дождались за 10 минут");
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let _ = ctx;
    Ok(())
}

/// Plays the exams of one day at this box (in start order) from the day before to each
/// exam's receipt: seating, roster and kits for each in turn (so each is seated against the
/// rooms the others hold), the key of each in its window, then the exams side by side.
pub async fn play_day(ctx: &EdgeContext, exams: &[Exam]) -> anyhow::Result<Vec<crate::upload::Receipt>> {
    let first = exams.first().context("в дне демонстрации нет экзаменов")?;
    // Days before: the scheduler (running beside us) syncs the plan and pre-stages the
    // ciphertext; seating and kits are then made offline.
    for exam in exams {
        let exam_id = exam.exam_id.as_str();
        wait_for(ctx, "план и шифрованный пакет", || {
            let conn = ctx.db()?;
            Ok(crate::plan::store::exam_get(&conn, exam_id)?.is_some() && crate::materials::store::manifest_get(&conn, exam_id)?.is_some())
        })
        .await?;
        say(ctx, &format!("{exam_id}: план ППЭ получен от РЦОИ, шифрованный пакет загружен и проверен по подписанному манифесту"));
    }
    ensure_accounts(ctx, first)?;
    // The staff's work of the day before takes its real seconds, not `speed` times as many
    // simulated minutes: on a loaded machine the simulated day would otherwise run past the
    // key's window while the point is still being seated.
    let hold = ctx.clock.hold();
    for exam in exams {
        prepare_exam(ctx, exam).await?;
    }
    drop(hold);
    // The day before, beside the rest: the stations' readiness, reported to РЦОИ.
    let readiness = super::readiness::spawn_day_before(ctx, exams);
    let gek_worker = crate::accounts::store::account_get(&*ctx.db()?, GEK_LOGIN)?.map(|a| a.0.worker_id).context("демо-учётная запись члена ГЭК")?;
    // Both windows open together: the keys are obtained side by side, so neither waits out
    // the other's activation.
    futures_util::future::try_join_all(exams.iter().map(|exam| activate_key(ctx, exam, &gek_worker))).await?;
    let receipts = futures_util::future::try_join_all(exams.iter().map(|exam| sit_exam(ctx, exam, &gek_worker))).await;
    let _ = readiness.await;
    receipts
}

/// The day before: seating, roster and kits of one exam.
pub(super) async fn prepare_exam(ctx: &EdgeContext, exam: &Exam) -> anyhow::Result<()> {
    let exam_id = exam.exam_id.as_str();
    let ppe_code = ctx.config.ppe_code.clone();
    let now = ctx.clock.now_rfc3339();
    // The seed is drawn and released by РЦОИ (the day before); the seating goes back to it.
    let rules = crate::seating::SeatingRules::default();
    let seated = crate::distribution::ops::seat_and_report(ctx, &crate::model::ExamId::from(exam_id), rules, TECH_LOGIN).await?;
    let seating = &seated.seating;
    let reported = match &seated.reported {
        Ok(_) => "рассадка отправлена в РЦОИ".to_string(),
        Err(e) => format!("рассадка не отправлена в РЦОИ: {e}"),
    };
    let held: std::collections::BTreeSet<&str> = seating.held.iter().map(|h| h.auditorium.as_str()).collect();
    let held = if held.is_empty() {
        String::new()
    } else {
        format!("; аудитории другого экзамена не заняты: {}", held.into_iter().collect::<Vec<_>>().join(", "))
    };
    say(
        ctx,
        &format!(
            "{exam_id}: рассадка: {} участников в {} аудиториях ({}) по зерну РЦОИ, соседей из одной школы {} (нижняя граница {}){held}; {reported}",
            seating.seats.len(),
            seating.rooms_used.len(),
            seating.rooms_used.join(", "),
            seating.same_school_pairs,
            seating.same_school_lower_bound
        ),
    );
    // The organizers learn their rooms only now, from РЦОИ's morning seed.
    crate::distribution::ops::fetch_seed(ctx, &crate::model::ExamId::from(exam_id), crate::distribution::Purpose::Organizers).await?;
    let roster = {
        let mut conn = ctx.db()?;
        let (exam_ref, ppe_ref, rules) = (
            crate::model::ExamId::from(exam_id),
            crate::model::PpeCode::from(&ppe_code),
            crate::roster::RosterRules::from_config(&ctx.config.roster, exam),
        );
        let seed = crate::roster::ops::organizer_seed(&conn, &exam_ref, &ppe_ref)?;
        crate::roster::ops::assign(
            &mut conn,
            &crate::roster::ops::AssignRequest { exam_id: &exam_ref, ppe_code: &ppe_ref, rules: &rules, seed, at: &now, actor: TECH_LOGIN },
        )?
    };
    say(
        ctx,
        &format!(
            "{exam_id}: расстановка работников: {} должностей, в резерве {}, нарушений правил {}{}",
            roster.entries.len(),
            roster.reserve.len(),
            roster.shortfalls.len(),
            roster.shortfalls.first().map(|s| format!(" (например: {s})")).unwrap_or_default()
        ),
    );
    let kits = {
        let mut conn = ctx.db()?;
        attendance::ops::issue_kits(&mut conn, &now, TECH_LOGIN, exam_id, &ppe_code)?
    };
    say(ctx, &format!("{exam_id}: индивидуальные комплекты: {} бланков с кодами", kits.len()));
    let variants = {
        let mut conn = ctx.db()?;
        crate::printing::kim::ops::ensure_variants(&mut conn, &now, TECH_LOGIN, &crate::model::ExamId::from(exam_id), &ppe_code)?.unwrap_or_default()
    };
    let distinct: std::collections::BTreeSet<u16> = variants.values().copied().collect();
    say(
        ctx,
        &format!(
            "{exam_id}: варианты КИМ по местам: {} участников, вариантов {}; соседи по парте никогда не получают один вариант",
            variants.len(),
            distinct.len()
        ),
    );
    Ok(())
}

/// The window: the ГЭК member obtains the exam's key from РЦОИ with their own key file and PIN.
pub(super) async fn activate_key(ctx: &EdgeContext, exam: &Exam, gek_worker: &str) -> anyhow::Result<()> {
    let exam_id = exam.exam_id.as_str();
    let (window_open, _) = exam.materials_window().context("exam window")?;
    say(ctx, &format!("{exam_id}: ждём окна материалов: {} (по часам РЦОИ)", window_open.format("%H:%M UTC")));
    ctx.clock.sleep_until(window_open + Duration::minutes(1)).await;
    let box_dir = ctx.config_path.parent().context("папка ППЭ")?.to_path_buf();
    let request = crate::materials::ops::ActivateRequest {
        exam_id: exam_id.into(),
        gek_key_file: demo_gek_key_file(&box_dir, gek_worker),
        pin: DEMO_GEK_PIN.into(),
        actor: GEK_LOGIN.into(),
        account_worker_id: Some(gek_worker.to_string()),
    };
    let mut attempt = 0;
    // The member's activation at wall speed (its retries included), inside the window.
    let hold = ctx.clock.hold();
    let report = loop {
        match crate::materials::ops::activate(ctx, &request).await {
            Ok(report) => break report,
            // The window is judged by the hub's clock; a retry covers a box clock a little ahead.
            Err(e) if attempt < 20 => {
                attempt += 1;
                tracing::info!("activation: {e}; retrying");
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
            Err(e) => return Err(e.into()),
        }
    };
    drop(hold);
    say(
        ctx,
        &format!(
            "{exam_id}: ключ получен от РЦОИ по личному ключу члена ГЭК {} (файл и ПИН-код); все файлы проверены по подписанному манифесту",
            report.gek_worker_id
        ),
    );
    let manifest = {
        let conn = ctx.db()?;
        let (_, json) = crate::materials::store::manifest_get(&conn, exam_id)?.context("manifest")?;
        serde_json::from_str::<crate::materials::SignedManifest>(&json)?
    };
    let first = manifest.manifest.files.first().context("empty package")?;
    let kim = crate::materials::pull::open_decrypted(ctx, exam_id, &first.name)?;
    say(ctx, &format!("{exam_id}: член ГЭК активировал ключ; {} расшифрован в памяти ({} байт), готов к печати", first.name, kim.len()));
    drop(kim);
    Ok(())
}

/// The exam itself, to its own end (with extra time), scan, upload and receipt.
async fn sit_exam(ctx: &EdgeContext, exam: &Exam, gek_worker: &str) -> anyhow::Result<crate::upload::Receipt> {
    let gek_worker = gek_worker.to_string();
    let exam_id = exam.exam_id.as_str();
    let ppe_code = ctx.config.ppe_code.clone();
    let start = exam.start_utc().context("exam start")?;

    // The exam: attendance and events.
    ctx.clock.sleep_until(start + Duration::minutes(5)).await;
    let seats = crate::seating::store::seat_assignments_for_exam(&*ctx.db()?, exam_id)?;
    let at = |m: i64| (start + Duration::minutes(m)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    {
        let mut conn = ctx.db()?;
        let now = ctx.clock.now_rfc3339();
        for (i, s) in seats.iter().enumerate() {
            let kind = match i % 40 {
                7 => EventKind::Absent,
                13 => EventKind::Late,
                _ => EventKind::Present,
            };
            let e = ExamEvent {
                medical_worker_id: String::new(),
                exam_id: exam_id.into(),
                participant_id: s.participant_id.clone(),
                kind,
                at: at(if kind == EventKind::Late { 12 } else { 0 }),
                reason: String::new(),
                gek_worker_id: String::new(),
                actor: "organizer".into(),
            };
            attendance::ops::record(&mut conn, &now, e)?;
        }
        let present: Vec<&str> =
            seats.iter().enumerate().filter(|(i, _)| !matches!(i % 40, 7 | 13)).map(|(_, s)| s.participant_id.as_str()).collect();
        let plan = crate::plan::store::load_plan(&conn)?;
        let medical_worker = plan
            .workers_with_role_at(&ppe_code, &exam.date, crate::model::WorkerRole::Medical)
            .first()
            .map(|w| w.worker_id.clone())
            .context("медицинский работник ППЭ на день экзамена (план региона)")?;
        let medical = |kind: EventKind| if kind == EventKind::FinishedEarly { medical_worker.clone() } else { String::new() };
        let event = |p: &str, kind, m, reason: &str, gek: &str| ExamEvent {
            medical_worker_id: medical(kind),
            exam_id: exam_id.into(),
            participant_id: p.into(),
            kind,
            at: at(m),
            reason: reason.into(),
            gek_worker_id: gek.into(),
            actor: "organizer".into(),
        };
        if present.len() >= 4 {
            attendance::ops::record(&mut conn, &now, event(present[1], EventKind::KitReplaced, 20, "типографский брак бланка ответов № 1", ""))?;
            attendance::ops::record(&mut conn, &now, event(present[2], EventKind::Left, 60, "", ""))?;
            attendance::ops::record(&mut conn, &now, event(present[2], EventKind::Returned, 67, "", ""))?;
            attendance::ops::record(&mut conn, &now, event(present[3], EventKind::Removed, 95, "использование мобильного телефона", &gek_worker))?;
            attendance::ops::record(
                &mut conn,
                &now,
                event(present[0], EventKind::FinishedEarly, 120, "плохое самочувствие, подтверждено медицинским работником", &gek_worker),
            )?;
        }
        let states = attendance::ops::states(&conn, exam_id)?;
        let c = attendance::counts(states.values());
        say(
            ctx,
            &format!(
                "{exam_id}: явка: присутствуют {}, не явились {}, опоздали {}, удалён {}, завершил досрочно {}; замена комплекта 1",
                c.present, c.absent, c.late, c.removed, c.finished_early
            ),
        );
    }

    // After the point's latest end (extended only where a participant has extra time, the
    // schedule the hub judges): scan and upload within the hour.
    let plan = crate::plan::store::load_plan(&*ctx.db()?)?;
    let end = crate::day::schedule_here(&plan, exam, &ppe_code).context("exam end")?.end;
    ctx.clock.sleep_until(end).await;
    print_scan_upload(ctx, exam, &[crate::printing::PrintWhat::Seating, crate::printing::PrintWhat::Statements], None).await
}

/// After the exam: the forms printed, every sheet of those who sat and every form page
/// scanned through the daemon's inbox, completeness, the upload that starts by itself, and
/// the hub's receipt. With `keep_forms` the printed documents are also written there (PDF)
/// and named in a line.
pub(super) async fn print_scan_upload(
    ctx: &EdgeContext,
    exam: &Exam,
    runs: &[crate::printing::PrintWhat],
    keep_forms: Option<&std::path::Path>,
) -> anyhow::Result<crate::upload::Receipt> {
    let exam_id = exam.exam_id.as_str();
    let ppe_code = ctx.config.ppe_code.clone();
    // The lists and the auditorium and staff room forms, filled from the day (the acts of its
    // removal and early finish too), each page with its sheet code.
    let mut printed_forms = 0;
    let mut kept = Vec::new();
    for &what in runs {
        let request = crate::printing::ops::PrintRequest {
            exam_id: exam_id.into(),
            what,
            auditorium: None,
            printer: None,
            wait: std::time::Duration::ZERO,
            actor: TECH_LOGIN.into(),
        };
        let set = crate::printing::ops::make_set(ctx, &request)?;
        printed_forms += set.statements.len();
        if let Some(dir) = keep_forms {
            std::fs::create_dir_all(dir)?;
            for doc in &set.documents {
                crate::util::write_atomic(&dir.join(&doc.file_name), &doc.bytes)?;
                kept.push(doc.file_name.clone());
            }
        }
    }
    if let Some(dir) = keep_forms {
        say(ctx, &format!("{exam_id}: напечатано (копии PDF в {}): {}", dir.display(), kept.join(", ")));
    }
    // The scanner drops page images into the box's inbox; the daemon takes them in and starts
    // the upload by itself once completeness holds (edge::duties). The demo only feeds paper:
    // every issued sheet of those who sat and every page of every printed form.
    // From the first page to the receipt at wall speed: intake and upload take their real
    // seconds; at `speed` times as many simulated minutes a loaded machine would run the day
    // (and the daemon's exams of the day) out from under them.
    let _hold = ctx.clock.hold();
    let expected = attendance::ops::expected_sheets(&*ctx.db()?, exam_id, &ppe_code)?;
    let key = crate::scanning::ops::box_sheet_key(ctx)?;
    let inbox = ctx.config.scanner.inbox.clone().context("the demo box has no scanner inbox")?.join(exam_id);
    std::fs::create_dir_all(&inbox)?;
    let mut pages = 0;
    for p in expected.participants.iter().filter(|p| p.present) {
        for s in &p.sheets {
            let code = sheet_code::encode(&SheetId { exam_id: exam_id.into(), ppe_code: ppe_code.clone(), kind: s.kind, number: s.number }, &key);
            crate::util::write_atomic(&inbox.join(format!("{:07}.png", s.number)), &render_scanned_page(&code)?)?;
            pages += 1;
        }
    }
    let form_pages: Vec<u32> = expected.forms.iter().flat_map(|f| f.numbers.iter().copied()).collect();
    for n in &form_pages {
        let code = sheet_code::encode(
            &SheetId { exam_id: exam_id.into(), ppe_code: ppe_code.clone(), kind: sheet_code::SheetKind::Statement, number: *n },
            &key,
        );
        crate::util::write_atomic(&inbox.join(format!("form-{n:07}.png")), &render_scanned_page(&code)?)?;
        pages += 1;
    }
    wait_for(ctx, "приём сканов из папки сканера", || {
        let conn = ctx.db()?;
        let stored = crate::scanning::store::pages_for_exam(&conn, exam_id)?.len();
        Ok(stored >= pages)
    })
    .await?;
    let complete = crate::scanning::ops::completeness_now(&*ctx.db()?, exam_id, &expected)?;
    let matched = crate::scanning::store::pages_for_exam(&*ctx.db()?, exam_id)?.iter().filter(|p| p.status == "matched").count();
    say(ctx, &format!(
        "{exam_id}: сканирование: {pages} страниц (из них {} страниц {printed_forms} форм с кодами), сопоставлено {matched}, к разбору {}; комплектность {}",
        form_pages.len(), complete.to_resolve, if complete.holds() { "полная" } else { "НЕПОЛНАЯ" }
    ));
    if !complete.holds() {
        anyhow::bail!("комплектность не соблюдена: {}", complete.lines_ru().join("; "));
    }
    // Recordings or answer files short (a workstation saved nothing): the daemon waits for a
    // person, and the technical specialist sends the bundle with what is missing named in it.
    let files = crate::recordings::facts::completeness_now(&*ctx.db()?, exam_id, &ppe_code)?;
    if let Some((kind, c)) = files.filter(|(_, c)| !c.holds()) {
        say(ctx, &format!("{exam_id}: технический специалист отправляет пакет сам: {} (названо в записи дня)", c.lines_ru(kind).join("; ")));
        crate::upload::ops::upload_once(ctx, &exam_id.into()).await?;
    } else {
        say(ctx, &format!("{exam_id}: выгрузка началась сама (комплектность полная); ждём квитанцию РЦОИ"));
    }
    let mut held = None;
    wait_for(ctx, "квитанция РЦОИ", || {
        held = crate::upload::store::receipt_latest(&*ctx.db()?, exam_id)?;
        Ok(held.is_some())
    })
    .await?;
    let (_, receipt_json) = held.context("receipt")?;
    let receipt: crate::upload::Receipt = serde_json::from_str(&receipt_json).context("the stored receipt")?;
    say(
        ctx,
        &format!(
            "{exam_id}: выгрузка завершена: квитанция РЦОИ (подпись проверена), файлов {}, байт {}, принято {}",
            receipt.receipt.file_count, receipt.receipt.total_bytes, receipt.receipt.received_at
        ),
    );
    Ok(receipt)
}
