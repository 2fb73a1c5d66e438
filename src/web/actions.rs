//! The UI's actions (POST): each checks the form's CSRF token (the role was checked by the
//! `Staff` extractor), calls the same domain function the CLI calls — one transaction and one
//! audit entry, the logged-in login as the actor — and redirects back with a message. A rule
//! that refuses answers with its Russian reason and changes nothing.

use axum::extract::State;
use axum::response::Response;
use axum::Form;
use serde::Deserialize;

use super::{blocking, redirect, url_encode, Staff, WebError, WebState};
use crate::context::EdgeContext;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ActionForm {
    pub csrf: String,
    pub exam: String,
    pub from: String,
    pub password: String,
    pub seed: String,
    pub participant: String,
    pub auditorium: String,
    pub seat: String,
    pub reserve: String,
    pub reason: String,
    pub worker: String,
    pub kind: String,
    pub gek: String,
    pub what: String,
    pub job: String,
    pub page: String,
    pub code: String,
    pub direction: String,
    pub login: String,
    pub role: String,
}

fn back(page: &str, exam: &str, extra: &str, msg: &str) -> Response {
    redirect(&format!("{page}?exam={}{extra}&msg={}", url_encode(exam), url_encode(msg)))
}

/// Runs `f` on a thread of its own (it may start a runtime of its own, e.g. for the tus client
/// or IPP) and waits for it off the async threads.
async fn own_thread<T: Send + 'static>(ctx: EdgeContext, f: impl FnOnce(&EdgeContext) -> anyhow::Result<T> + Send + 'static) -> Result<T, WebError> {
    blocking(move || std::thread::spawn(move || f(&ctx)).join().map_err(|_| anyhow::anyhow!("действие прервалось с ошибкой"))?).await
}

pub async fn materials_pull(State(state): State<WebState>, staff: Staff, Form(f): Form<ActionForm>) -> Result<Response, WebError> {
    staff.check_csrf(&f.csrf)?;
    let (exam, actor) = (f.exam.clone(), staff.login.clone());
    let source = if f.from.trim().is_empty() { crate::materials::pull::Source::Network } else { crate::materials::pull::Source::Media(f.from.trim().into()) };
    let report = own_thread(state.ctx.clone(), move |ctx| {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let opts = crate::materials::pull::PullOptions { source, with_key: true, actor, ..Default::default() };
        rt.block_on(crate::materials::pull::pull(ctx, &exam, &opts)).map_err(|e| anyhow::anyhow!("{e}"))
    })
    .await?;
    Ok(back("/materials", &f.exam, "", &format!("материалы получены и проверены: {}", serde_json::to_string(&report).unwrap_or_default())))
}

pub async fn materials_activate(State(state): State<WebState>, staff: Staff, Form(f): Form<ActionForm>) -> Result<Response, WebError> {
    staff.check_csrf(&f.csrf)?;
    let (exam, login, password) = (f.exam.clone(), staff.login.clone(), f.password.clone());
    let ctx = state.ctx.clone();
    blocking(move || {
        // The two-person rule needs who pulled: the last pull of this exam in the audit log.
        let conn = ctx.db()?;
        let pulled_by = crate::audit::store::list(&conn, Some("materials.pulled"), 1000)?
            .into_iter()
            .rev()
            .find(|e| e.object == exam)
            .map(|e| e.actor)
            .unwrap_or_else(|| "scheduler".into());
        drop(conn);
        crate::materials::pull::activate(&ctx, &exam, &login, &password, &pulled_by)
    })
    .await?;
    Ok(back("/materials", &f.exam, "", "ключ активирован членом ГЭК"))
}

fn rules() -> crate::seating::SeatingRules {
    crate::seating::SeatingRules::default()
}

pub async fn seating_run(State(state): State<WebState>, staff: Staff, Form(f): Form<ActionForm>) -> Result<Response, WebError> {
    staff.check_csrf(&f.csrf)?;
    let ctx = state.ctx.clone();
    let (exam, actor) = (f.exam.clone(), staff.login.clone());
    let seed: u64 = f.seed.trim().parse().unwrap_or(1);
    let s = blocking(move || {
        let mut conn = ctx.db()?;
        crate::seating::ops::run(&mut conn, &ctx.clock.now_rfc3339(), &actor, &exam, &ctx.config.ppe_code, seed, rules())
    })
    .await?;
    Ok(back(
        "/seating",
        &f.exam,
        "",
        &format!("рассажено участников: {} в {} аудиториях; соседей из одной школы {} (нижняя граница {})", s.seats.len(), s.rooms_used.len(), s.same_school_pairs, s.same_school_lower_bound),
    ))
}

pub async fn seating_move(State(state): State<WebState>, staff: Staff, Form(f): Form<ActionForm>) -> Result<Response, WebError> {
    staff.check_csrf(&f.csrf)?;
    let ctx = state.ctx.clone();
    let (form, actor) = (ActionForm { csrf: String::new(), ..f }, staff.login.clone());
    let exam = form.exam.clone();
    let changed = blocking(move || {
        let mut conn = ctx.db()?;
        let seat = form.seat.trim();
        let change = crate::seating::ops::Change::Move { participant_id: form.participant.trim(), to_auditorium: form.auditorium.trim(), to_seat: (!seat.is_empty()).then_some(seat) };
        crate::seating::ops::change(&mut conn, &ctx.clock.now_rfc3339(), &actor, &form.reason, &form.exam, &ctx.config.ppe_code, change, rules())
    })
    .await?;
    Ok(back("/seating", &exam, "", &format!("пересажено, изменено мест: {}", changed.len())))
}

pub async fn seating_close(State(state): State<WebState>, staff: Staff, Form(f): Form<ActionForm>) -> Result<Response, WebError> {
    staff.check_csrf(&f.csrf)?;
    let ctx = state.ctx.clone();
    let (form, actor) = (ActionForm { csrf: String::new(), ..f }, staff.login.clone());
    let exam = form.exam.clone();
    let changed = blocking(move || {
        let mut conn = ctx.db()?;
        let change = crate::seating::ops::Change::CloseAuditorium { auditorium: form.auditorium.trim(), reserve: form.reserve.trim() };
        crate::seating::ops::change(&mut conn, &ctx.clock.now_rfc3339(), &actor, &form.reason, &form.exam, &ctx.config.ppe_code, change, rules())
    })
    .await?;
    Ok(back("/seating", &exam, "", &format!("аудитория закрыта, переведено участников: {}", changed.len())))
}

fn roster_rules(conn: &crate::store::Connection, exam: &str) -> anyhow::Result<crate::roster::RosterRules> {
    let e = crate::plan::store::exam_get(conn, exam)?.ok_or_else(|| anyhow::anyhow!("экзамена {exam} нет в плане"))?;
    Ok(crate::roster::RosterRules::for_exam(&e))
}

pub async fn roster_assign(State(state): State<WebState>, staff: Staff, Form(f): Form<ActionForm>) -> Result<Response, WebError> {
    staff.check_csrf(&f.csrf)?;
    let ctx = state.ctx.clone();
    let (exam, actor) = (f.exam.clone(), staff.login.clone());
    let roster = blocking(move || {
        let mut conn = ctx.db()?;
        let rules = roster_rules(&conn, &exam)?;
        crate::roster::cli::assign_and_save(&mut conn, &ctx.clock.now_rfc3339(), &actor, &exam, &ctx.config.ppe_code, &rules)
    })
    .await?;
    let shortfalls = if roster.shortfalls.is_empty() { String::new() } else { format!("; не выполнено правил: {} — {}", roster.shortfalls.len(), roster.shortfalls.first().map(|s| s.to_string()).unwrap_or_default()) };
    Ok(back("/roster", &f.exam, "", &format!("расставлено работников: {}, в резерве {}{shortfalls}", roster.entries.len(), roster.reserve.len())))
}

pub async fn roster_replace(State(state): State<WebState>, staff: Staff, Form(f): Form<ActionForm>) -> Result<Response, WebError> {
    staff.check_csrf(&f.csrf)?;
    let ctx = state.ctx.clone();
    let (form, actor) = (ActionForm { csrf: String::new(), ..f }, staff.login.clone());
    let exam = form.exam.clone();
    let r = blocking(move || {
        let mut conn = ctx.db()?;
        let rules = roster_rules(&conn, &form.exam)?;
        crate::roster::cli::replace_and_save(&mut conn, &ctx.clock.now_rfc3339(), &actor, &form.exam, &ctx.config.ppe_code, form.worker.trim(), &form.reason, &rules)
    })
    .await?;
    Ok(back("/roster", &exam, "", &format!("замена: {} → {} ({})", r.absent_worker_id, r.replacement_worker_id, r.post.title_ru())))
}

pub async fn attendance_kits(State(state): State<WebState>, staff: Staff, Form(f): Form<ActionForm>) -> Result<Response, WebError> {
    staff.check_csrf(&f.csrf)?;
    let ctx = state.ctx.clone();
    let (exam, actor) = (f.exam.clone(), staff.login.clone());
    let sheets = blocking(move || {
        let mut conn = ctx.db()?;
        crate::attendance::ops::issue_kits(&mut conn, &ctx.clock.now_rfc3339(), &actor, &exam, &ctx.config.ppe_code)
    })
    .await?;
    Ok(back("/attendance", &f.exam, "", &format!("выдано бланков с кодами: {}", sheets.len())))
}

pub async fn attendance_event(State(state): State<WebState>, staff: Staff, Form(f): Form<ActionForm>) -> Result<Response, WebError> {
    staff.check_csrf(&f.csrf)?;
    let kind = crate::attendance::EventKind::parse(&f.kind).ok_or_else(|| WebError::Refused(format!("неизвестное событие «{}»", f.kind)))?;
    let ctx = state.ctx.clone();
    let (form, actor) = (ActionForm { csrf: String::new(), ..f }, staff.login.clone());
    let (exam, room, pid) = (form.exam.clone(), form.auditorium.clone(), form.participant.clone());
    blocking(move || {
        let mut conn = ctx.db()?;
        let now = ctx.clock.now_rfc3339();
        let event = crate::attendance::ExamEvent {
            exam_id: form.exam.clone(),
            participant_id: form.participant.trim().to_string(),
            kind,
            at: now.clone(),
            reason: form.reason.trim().to_string(),
            gek_worker_id: form.gek.trim().to_string(),
            actor,
        };
        crate::attendance::ops::record(&mut conn, &now, event)
    })
    .await?;
    Ok(back("/attendance", &exam, &format!("&auditorium={}", url_encode(&room)), &format!("участник {pid}: {}", kind.title_ru())))
}

pub async fn print_run(State(state): State<WebState>, staff: Staff, Form(f): Form<ActionForm>) -> Result<Response, WebError> {
    staff.check_csrf(&f.csrf)?;
    let what = match f.what.as_str() {
        "sheets" => crate::printing::PrintWhat::Sheets,
        "seating" => crate::printing::PrintWhat::Seating,
        "statements" => crate::printing::PrintWhat::Statements,
        "all" => crate::printing::PrintWhat::All,
        "kim" => crate::printing::PrintWhat::Kim,
        other => return Err(WebError::Refused(format!("неизвестно, что печатать: «{other}»"))),
    };
    let (exam, room) = (f.exam.clone(), f.auditorium.trim().to_string());
    let rows = own_thread(state.ctx.clone(), move |ctx| {
        let mut conn = ctx.db()?;
        let room = (!room.is_empty()).then_some(room.as_str());
        if what == crate::printing::PrintWhat::Kim {
            crate::printing::cli::print_exam_materials(ctx, &mut conn, &exam, room, None, std::time::Duration::from_secs(10))
        } else {
            crate::printing::cli::print_to_configured_printer(ctx, &mut conn, &exam, what, room)
        }
    })
    .await?;
    let failed = rows.iter().filter(|r| r.state.is_failed()).count();
    let pages: u32 = rows.iter().map(|r| r.pages).sum();
    let msg = if failed > 0 { format!("отправлено заданий: {}, страниц {pages}; НЕ напечатано: {failed} — проверьте принтер и повторите", rows.len()) } else { format!("отправлено заданий: {}, страниц {pages}; подтвердите получение", rows.len()) };
    Ok(back("/print", &f.exam, "", &msg))
}

pub async fn print_act(State(state): State<WebState>, staff: Staff, Form(f): Form<ActionForm>) -> Result<Response, WebError> {
    staff.check_csrf(&f.csrf)?;
    let (exam, participant, room) = (f.exam.clone(), f.participant.trim().to_string(), f.auditorium.clone());
    let row = own_thread(state.ctx.clone(), move |ctx| crate::printing::cli::print_act_to_configured_printer(ctx, &mut *ctx.db()?, &exam, &participant)).await?;
    let msg = if row.state.is_failed() { format!("акт не напечатан ({}): проверьте принтер и повторите", row.state.code()) } else { format!("акт отправлен на печать: {}", row.document) };
    Ok(back("/attendance", &f.exam, &format!("&auditorium={}", url_encode(&room)), &msg))
}

fn job_id(f: &ActionForm) -> Result<i64, WebError> {
    f.job.trim().parse().map_err(|_| WebError::Refused("номер задания не указан".into()))
}

pub async fn print_confirm(State(state): State<WebState>, staff: Staff, Form(f): Form<ActionForm>) -> Result<Response, WebError> {
    staff.check_csrf(&f.csrf)?;
    let job = job_id(&f)?;
    let (exam, by) = (f.exam.clone(), staff.login.clone());
    let ctx = state.ctx.clone();
    blocking(move || crate::printing::cli::confirm_received(&ctx, &mut *ctx.db()?, &exam, job, &by)).await?;
    Ok(back("/print", &f.exam, "", &format!("задание {job} получено")))
}

pub async fn print_reprint(State(state): State<WebState>, staff: Staff, Form(f): Form<ActionForm>) -> Result<Response, WebError> {
    staff.check_csrf(&f.csrf)?;
    let job = job_id(&f)?;
    let exam = f.exam.clone();
    own_thread(state.ctx.clone(), move |ctx| crate::printing::cli::reprint_job(ctx, &mut *ctx.db()?, &exam, job)).await?;
    Ok(back("/print", &f.exam, "", &format!("задание {job} отправлено повторно")))
}

pub async fn scanning_intake(State(state): State<WebState>, staff: Staff, Form(f): Form<ActionForm>) -> Result<Response, WebError> {
    staff.check_csrf(&f.csrf)?;
    let (exam, from, actor) = (f.exam.clone(), f.from.trim().to_string(), staff.login.clone());
    let report = blocking(move || {
        let ctx = state.ctx.clone();
        let conn = ctx.db()?;
        let key = crate::scanning::cli::box_sheet_key(&ctx)?;
        let expected = crate::scanning::cli::load_expected(&ctx, &exam, None)?;
        let intake = crate::scanning::intake::Intake {
            conn: &conn,
            clock: &ctx.clock,
            exam_id: &exam,
            ppe_code: &ctx.config.ppe_code,
            key: &key,
            expected: expected.as_ref(),
            scans_dir: ctx.config.state_dir.join("scans"),
            writer: &crate::scanning::intake::AtomicPageWriter,
            actor: &actor,
        };
        let report = if !from.is_empty() {
            intake.ingest_folder(std::path::Path::new(&from))?
        } else if !ctx.config.scanner.device.is_empty() {
            intake.scan_from_sane(&ctx.config.scanner.device, &[], None)?
        } else if let Some(inbox) = &ctx.config.scanner.inbox {
            intake.ingest_folder(&inbox.join(&exam))?
        } else {
            anyhow::bail!("сканер не задан: укажите папку или настройте [scanner] в ppe.toml");
        };
        Ok(report)
    })
    .await?;
    let fault = report.fault.map(|f| format!("; сканер: {} ({}) — принятые страницы сохранены", f.message_ru(), report.fault_detail)).unwrap_or_default();
    Ok(back("/scanning", &f.exam, "", &format!("принято страниц: {} (сопоставлено {}, ждут разбора {}, уже были {}){fault}", report.stored, report.matched, report.to_resolve, report.already_had)))
}

pub async fn scanning_assign(State(state): State<WebState>, staff: Staff, Form(f): Form<ActionForm>) -> Result<Response, WebError> {
    staff.check_csrf(&f.csrf)?;
    let (exam, page, code) = (f.exam.clone(), f.page.clone(), f.code.trim().to_string());
    let ctx = state.ctx.clone();
    blocking(move || {
        let conn = ctx.db()?;
        let key = crate::scanning::cli::box_sheet_key(&ctx)?;
        let expected = crate::scanning::cli::load_expected(&ctx, &exam, None)?;
        crate::scanning::cli::assign(&ctx, &conn, &key, &exam, &page, &code, expected.as_ref())
    })
    .await?;
    Ok(back("/scanning", &f.exam, "", "страница назначена"))
}

pub async fn upload_start(State(state): State<WebState>, staff: Staff, Form(f): Form<ActionForm>) -> Result<Response, WebError> {
    staff.check_csrf(&f.csrf)?;
    let exam = f.exam.clone();
    let ctx = state.ctx.clone();
    // The upload runs on (retrying until done); the page shows its progress.
    std::thread::Builder::new()
        .name(format!("ui-upload-{exam}"))
        .spawn(move || match crate::edge::duties::upload_once(&ctx, &exam) {
            Ok(receipt) => tracing::info!(exam = %exam, receipt = %receipt, "upload started from the UI: receipt held"),
            Err(e) => tracing::warn!(exam = %exam, "upload started from the UI failed: {e:#}"),
        })
        .map_err(WebError::internal)?;
    Ok(back("/upload", &f.exam, "", "выгрузка начата"))
}

pub async fn desk_select(State(state): State<WebState>, staff: Staff, Form(f): Form<ActionForm>) -> Result<Response, WebError> {
    staff.check_csrf(&f.csrf)?;
    let direction = crate::serial::Direction::parse(&f.direction).ok_or_else(|| WebError::Refused("выберите выдачу или возврат".into()))?;
    if f.auditorium.trim().is_empty() {
        return Err(WebError::Refused("укажите аудиторию".into()));
    }
    let selection = crate::serial::DeskSelection { exam_id: f.exam.clone(), auditorium: f.auditorium.trim().to_string(), direction, actor: staff.login.clone() };
    if let Ok(mut s) = state.desk_selection.lock() {
        *s = Some(selection);
    }
    Ok(back("/desk", &f.exam, "", &format!("штаб: {} — аудитория {}; сканируйте коды", direction.title_ru(), f.auditorium.trim())))
}

pub async fn accounts_create(State(state): State<WebState>, staff: Staff, Form(f): Form<ActionForm>) -> Result<Response, WebError> {
    staff.check_csrf(&f.csrf)?;
    let role = crate::model::WorkerRole::parse(&f.role).ok_or_else(|| WebError::Refused(format!("неизвестная роль «{}»", f.role)))?;
    let (login, worker, password, actor) = (f.login.trim().to_string(), f.worker.trim().to_string(), f.password.clone(), staff.login.clone());
    let ctx = state.ctx.clone();
    let created = blocking(move || {
        let mut conn = ctx.db()?;
        let now = ctx.clock.now_rfc3339();
        let account = crate::accounts::create_account(&mut conn, &login, &worker, role, &password, &now)?;
        crate::audit::store::append(&conn, &now, crate::audit::NewEntry { actor: &actor, action: "ui.account_created", object: &account.login, details: serde_json::json!({"role": role.code(), "worker_id": account.worker_id}) })?;
        Ok(account.login)
    })
    .await?;
    Ok(redirect(&format!("/accounts?msg={}", url_encode(&format!("учётная запись {created} создана")))))
}
