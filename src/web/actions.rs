//! The UI's actions (POST): each checks the form's CSRF token (the role was checked by the
//! `Staff` extractor), calls the same use case the CLI calls (`<domain>::ops`) — one
//! transaction and one audit entry, the logged-in login as the actor — and redirects back with
//! a message kept with the session (a flash: never text in the URL). A rule that refuses
//! answers with its Russian reason and changes nothing.
//!
//! [`act`] is the one shape of an action: CSRF, the form's `exam` checked against the plan
//! (before it can reach a path or a query), the work on the blocking pool (SQLite, PDF layout;
//! async use cases such as CUPS submits are driven there by the daemon's runtime), the message
//! back.

pub mod oral;

use std::time::Duration;

use axum::extract::State;
use axum::response::Response;
use axum::Form;
use serde::Deserialize;

use super::{blocking, redirect, require_exam_here, url_encode, Staff, WebError, WebState};
use crate::context::EdgeContext;
use crate::model::{AuditoriumCode, ExamId, ParticipantId, PpeCode, WorkerId};

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct ActionForm {
    pub csrf: String,
    pub exam: String,
    pub from: String,
    pub password: String,
    pub participant: String,
    pub auditorium: String,
    pub seat: String,
    pub reserve: String,
    pub reason: String,
    pub worker: String,
    pub kind: String,
    pub gek: String,
    /// The medical worker of an early finish.
    pub medical: String,
    /// The ГЭК member's key file on the box (a stick), and its PIN.
    pub gek_key: String,
    pub pin: String,
    pub what: String,
    pub job: String,
    pub page: String,
    pub code: String,
    /// A field of a machine-read form and a person's value for it (`/scanning/marks`).
    pub field: String,
    pub value: String,
    pub direction: String,
    pub login: String,
    pub role: String,
    /// The room a participant moves to (`/oral/move`).
    pub to: String,
}

/// Back to the page of the exam, the message waiting there for this session.
fn back(state: &WebState, staff: &Staff, page: &str, exam: &str, extra: &str, msg: &str) -> Response {
    state.flashes.put(staff.session_id(), msg);
    redirect(&format!("{page}?exam={}{extra}", url_encode(exam)))
}

/// How long the UI follows a print job in CUPS before answering.
const PRINT_WAIT: Duration = Duration::from_secs(10);

/// What an action's work gets: the box, the logged-in login and the form.
struct Job {
    ctx: EdgeContext,
    actor: String,
    form: ActionForm,
}

impl Job {
    fn exam(&self) -> ExamId {
        ExamId::from(self.form.exam.trim())
    }
    fn ppe_code(&self) -> PpeCode {
        PpeCode::from(&self.ctx.config.ppe_code)
    }
    fn now(&self) -> String {
        self.ctx.clock.now_rfc3339()
    }
    /// Runs an async use case that is not `Send` (it holds a database connection across
    /// awaits: the pull) to its end from the blocking pool, on the daemon's runtime.
    fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        tokio::runtime::Handle::current().block_on(future)
    }
}

/// One action: the CSRF token checked, `work` run on the blocking pool, its message back to
/// the caller's page. A refusal or failure becomes the error page with its reason.
async fn act(state: &WebState, staff: &Staff, form: &ActionForm, work: impl FnOnce(&Job) -> anyhow::Result<String> + Send + 'static) -> Result<String, WebError> {
    staff.check_csrf(&form.csrf)?;
    require_exam_here(state, &form.exam).await?;
    act_without_exam(state, staff, form, work).await
}

/// [`act`] for the few actions that name no exam (accounts).
async fn act_without_exam(state: &WebState, staff: &Staff, form: &ActionForm, work: impl FnOnce(&Job) -> anyhow::Result<String> + Send + 'static) -> Result<String, WebError> {
    staff.check_csrf(&form.csrf)?;
    let job = Job { ctx: state.ctx.clone(), actor: staff.login.clone(), form: ActionForm { csrf: String::new(), ..form.clone() } };
    blocking(move || work(&job)).await
}

/// An action whose use case is async and `Send` (a CUPS submit): awaited on the handler's
/// task, the use case itself puts its blocking parts on the blocking pool.
async fn act_async<F, Fut>(state: &WebState, staff: &Staff, form: &ActionForm, work: F) -> Result<String, WebError>
where
    F: FnOnce(Job) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<String>> + Send,
{
    staff.check_csrf(&form.csrf)?;
    require_exam_here(state, &form.exam).await?;
    let job = Job { ctx: state.ctx.clone(), actor: staff.login.clone(), form: ActionForm { csrf: String::new(), ..form.clone() } };
    Ok(work(job).await?)
}

/// An optional field: empty is none.
fn given(text: &str) -> Option<&str> {
    let text = text.trim();
    (!text.is_empty()).then_some(text)
}

pub async fn materials_pull(State(state): State<WebState>, staff: Staff, Form(f): Form<ActionForm>) -> Result<Response, WebError> {
    let msg = act(&state, &staff, &f, |job| {
        let request = crate::materials::ops::PullRequest { exam_id: job.exam(), from: given(&job.form.from).map(Into::into), actor: job.actor.clone() };
        let report = job.block_on(crate::materials::ops::pull(&job.ctx, &request)).map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(format!("материалы получены и проверены: {}", serde_json::to_string(&report).unwrap_or_default()))
    })
    .await?;
    Ok(back(&state, &staff, "/materials", &f.exam, "", &msg))
}

pub async fn materials_activate(State(state): State<WebState>, staff: Staff, Form(f): Form<ActionForm>) -> Result<Response, WebError> {
    let msg = act(&state, &staff, &f, |job| {
        // The key comes from the hub only against the member's own credential; the logged-in
        // ГЭК account must be that member's.
        let account = crate::accounts::store::account_get(&*job.ctx.db()?, &job.actor)?.map(|a| a.0.worker_id).ok_or_else(|| anyhow::anyhow!("учётная запись {} не найдена", job.actor))?;
        let key_file = given(&job.form.gek_key).ok_or_else(|| anyhow::anyhow!("укажите файл личного ключа члена ГЭК"))?;
        let request = crate::materials::ops::ActivateRequest { exam_id: job.exam(), gek_key_file: key_file.into(), pin: job.form.pin.clone(), actor: job.actor.clone(), account_worker_id: Some(account) };
        let report = job.block_on(crate::materials::ops::activate(&job.ctx, &request))?;
        Ok(format!("ключ получен и активирован членом ГЭК {}", report.gek_worker_id))
    })
    .await?;
    Ok(back(&state, &staff, "/materials", &f.exam, "", &msg))
}

/// The key by phone: the code typed by the ГЭК member or the head in their own session; a
/// code the rule refuses comes back to the page as its reason (a mistyped group named).
pub async fn materials_phone_key(State(state): State<WebState>, staff: Staff, Form(f): Form<ActionForm>) -> Result<Response, WebError> {
    let msg = act(&state, &staff, &f, |job| {
        let worker_id = crate::accounts::store::account_get(&*job.ctx.db()?, &job.actor)?.map(|a| a.0.worker_id);
        let request = crate::materials::phone_code::ops::PhoneActivateRequest { exam_id: job.exam(), code: job.form.code.clone(), actor: job.actor.clone(), worker_id };
        match crate::materials::phone_code::ops::activate_by_phone(&job.ctx, &request) {
            Ok(r) => Ok(format!("ключ активирован по коду РЦОИ (время РЦОИ {}, пакет версии {})", r.code_hub_time, r.version)),
            Err(e) if e.refusal().is_some() => Ok(format!("код не принят: {e}")),
            Err(e) => Err(e.into()),
        }
    })
    .await?;
    Ok(back(&state, &staff, "/materials/phone", &f.exam, "", &msg))
}

fn rules() -> crate::seating::SeatingRules {
    crate::seating::SeatingRules::default()
}

pub async fn seating_run(State(state): State<WebState>, staff: Staff, Form(f): Form<ActionForm>) -> Result<Response, WebError> {
    let msg = act(&state, &staff, &f, |job| {
        // The seed is РЦОИ's (fetched when the box has none yet); the seating goes back to it.
        let seated = job.block_on(crate::distribution::ops::seat_and_report(&job.ctx, &job.exam(), rules(), &job.actor))?;
        let s = &seated.seating;
        let reported = match &seated.reported {
            Ok(_) => "рассадка отправлена в РЦОИ".to_string(),
            Err(e) => format!("рассадка не отправлена в РЦОИ ({e}): повторите ppe edge seat --report"),
        };
        Ok(format!("рассажено участников: {} в {} аудиториях; соседей из одной школы {} (нижняя граница {}); {reported}", s.seats.len(), s.rooms_used.len(), s.same_school_pairs, s.same_school_lower_bound))
    })
    .await?;
    Ok(back(&state, &staff, "/seating", &f.exam, "", &msg))
}

/// A seating change (a move, a closed auditorium) with its reason, under the seating rules.
fn change_seating(job: &Job, change: crate::seating::ops::Change<'_>) -> anyhow::Result<usize> {
    let changed = crate::seating::ops::change(&mut *job.ctx.db()?, &job.now(), &job.actor, &job.form.reason, &job.form.exam, &job.ctx.config.ppe_code, change, rules())?;
    Ok(changed.len())
}

pub async fn seating_move(State(state): State<WebState>, staff: Staff, Form(f): Form<ActionForm>) -> Result<Response, WebError> {
    let msg = act(&state, &staff, &f, |job| {
        let form = &job.form;
        let change = crate::seating::ops::Change::Move { participant_id: form.participant.trim(), to_auditorium: form.auditorium.trim(), to_seat: given(&form.seat) };
        Ok(format!("пересажено, изменено мест: {}", change_seating(job, change)?))
    })
    .await?;
    Ok(back(&state, &staff, "/seating", &f.exam, "", &msg))
}

pub async fn seating_close(State(state): State<WebState>, staff: Staff, Form(f): Form<ActionForm>) -> Result<Response, WebError> {
    let msg = act(&state, &staff, &f, |job| {
        let change = crate::seating::ops::Change::CloseAuditorium { auditorium: job.form.auditorium.trim(), reserve: job.form.reserve.trim() };
        Ok(format!("аудитория закрыта, переведено участников: {}", change_seating(job, change)?))
    })
    .await?;
    Ok(back(&state, &staff, "/seating", &f.exam, "", &msg))
}

pub async fn roster_assign(State(state): State<WebState>, staff: Staff, Form(f): Form<ActionForm>) -> Result<Response, WebError> {
    // РЦОИ's organizers' seed (released in the morning of the exam), fetched once; without it
    // the use case below refuses and says so.
    if staff.may(super::access::Action::ChangeRoster) {
        if let Err(e) = crate::distribution::ops::fetch_seed(&state.ctx, &ExamId::from(f.exam.as_str()), crate::distribution::Purpose::Organizers).await {
            tracing::info!(exam = %f.exam, error = %e, "organizers' seed not fetched");
        }
    }
    let msg = act(&state, &staff, &f, |job| {
        let mut conn = job.ctx.db()?;
        let (exam_id, ppe_code, at) = (job.exam(), job.ppe_code(), job.now());
        let rules = crate::roster::ops::rules_for(&conn, &job.ctx.config.roster, &exam_id)?;
        let seed = crate::roster::ops::organizer_seed(&conn, &exam_id, &ppe_code)?;
        let roster = crate::roster::ops::assign(&mut conn, &crate::roster::ops::AssignRequest { exam_id: &exam_id, ppe_code: &ppe_code, rules: &rules, seed, at: &at, actor: &job.actor })?;
        let shortfalls = if roster.shortfalls.is_empty() { String::new() } else { format!("; не выполнено правил: {} — {}", roster.shortfalls.len(), roster.shortfalls.first().map(|s| s.to_string()).unwrap_or_default()) };
        Ok(format!("расставлено работников: {}, в резерве {}{shortfalls}", roster.entries.len(), roster.reserve.len()))
    })
    .await?;
    Ok(back(&state, &staff, "/roster", &f.exam, "", &msg))
}

pub async fn roster_replace(State(state): State<WebState>, staff: Staff, Form(f): Form<ActionForm>) -> Result<Response, WebError> {
    let msg = act(&state, &staff, &f, |job| {
        let mut conn = job.ctx.db()?;
        let (exam_id, ppe_code, at, absent) = (job.exam(), job.ppe_code(), job.now(), WorkerId::from(job.form.worker.trim()));
        let rules = crate::roster::ops::rules_for(&conn, &job.ctx.config.roster, &exam_id)?;
        let request = crate::roster::ops::ReplaceRequest { exam_id: &exam_id, ppe_code: &ppe_code, absent: &absent, reason: &job.form.reason, rules: &rules, at: &at, actor: &job.actor };
        let r = crate::roster::ops::replace(&mut conn, &request)?;
        Ok(format!("замена: {} → {} ({})", r.absent_worker_id, r.replacement_worker_id, r.post.title_ru()))
    })
    .await?;
    Ok(back(&state, &staff, "/roster", &f.exam, "", &msg))
}

pub async fn attendance_kits(State(state): State<WebState>, staff: Staff, Form(f): Form<ActionForm>) -> Result<Response, WebError> {
    let msg = act(&state, &staff, &f, |job| {
        let sheets = crate::attendance::ops::issue_kits(&mut *job.ctx.db()?, &job.now(), &job.actor, &job.form.exam, &job.ctx.config.ppe_code)?;
        Ok(format!("выдано бланков с кодами: {}", sheets.len()))
    })
    .await?;
    Ok(back(&state, &staff, "/attendance", &f.exam, "", &msg))
}

pub async fn attendance_event(State(state): State<WebState>, staff: Staff, Form(f): Form<ActionForm>) -> Result<Response, WebError> {
    let msg = act(&state, &staff, &f, |job| {
        let form = &job.form;
        let kind = crate::attendance::EventKind::parse(&form.kind).ok_or_else(|| anyhow::anyhow!("неизвестное событие «{}»", form.kind))?;
        let now = job.now();
        let event = crate::attendance::ExamEvent {
            medical_worker_id: form.medical.trim().to_string(),
            exam_id: form.exam.clone(),
            participant_id: form.participant.trim().to_string(),
            kind,
            at: now.clone(),
            reason: form.reason.trim().to_string(),
            gek_worker_id: form.gek.trim().to_string(),
            actor: job.actor.clone(),
        };
        crate::attendance::ops::record(&mut *job.ctx.db()?, &now, event)?;
        Ok(format!("участник {}: {}", form.participant, kind.title_ru()))
    })
    .await?;
    Ok(back(&state, &staff, "/attendance", &f.exam, &format!("&auditorium={}", url_encode(&f.auditorium)), &msg))
}

pub async fn print_run(State(state): State<WebState>, staff: Staff, Form(f): Form<ActionForm>) -> Result<Response, WebError> {
    use crate::printing::{ops, PrintWhat};
    let msg = act_async(&state, &staff, &f, |job| async move {
        let what = match job.form.what.as_str() {
            "sheets" => PrintWhat::Sheets,
            "seating" => PrintWhat::Seating,
            "statements" => PrintWhat::Statements,
            "all" => PrintWhat::All,
            "kim" => PrintWhat::Kim,
            other => anyhow::bail!("неизвестно, что печатать: «{other}»"),
        };
        let auditorium = given(&job.form.auditorium).map(AuditoriumCode::from);
        let rows = if what == PrintWhat::Kim {
            let request = ops::MaterialsPrintRequest { exam_id: job.exam(), auditorium, printer: None, wait: PRINT_WAIT, actor: job.actor.clone() };
            ops::print_exam_materials(&job.ctx, &request).await?
        } else {
            let request = ops::PrintRequest { exam_id: job.exam(), what, auditorium, printer: None, wait: PRINT_WAIT, actor: job.actor.clone() };
            ops::print_set(&job.ctx, &request).await?
        };
        let failed = rows.iter().filter(|r| r.state.is_failed()).count();
        let pages: u32 = rows.iter().map(|r| r.pages).sum();
        Ok(if failed > 0 { format!("отправлено заданий: {}, страниц {pages}; НЕ напечатано: {failed} — проверьте принтер и повторите", rows.len()) } else { format!("отправлено заданий: {}, страниц {pages}; подтвердите получение", rows.len()) })
    })
    .await?;
    Ok(back(&state, &staff, "/print", &f.exam, "", &msg))
}

pub async fn print_act(State(state): State<WebState>, staff: Staff, Form(f): Form<ActionForm>) -> Result<Response, WebError> {
    let msg = act_async(&state, &staff, &f, |job| async move {
        let request = crate::printing::ops::ActRequest { exam_id: job.exam(), participant_id: ParticipantId::from(job.form.participant.trim()), printer: None, wait: PRINT_WAIT, actor: job.actor.clone() };
        let row = crate::printing::ops::print_act(&job.ctx, &request).await?;
        Ok(if row.state.is_failed() { format!("акт не напечатан ({}): проверьте принтер и повторите", row.state.code()) } else { format!("акт отправлен на печать: {}", row.document) })
    })
    .await?;
    Ok(back(&state, &staff, "/attendance", &f.exam, &format!("&auditorium={}", url_encode(&f.auditorium)), &msg))
}

fn job_id(f: &ActionForm) -> anyhow::Result<i64> {
    f.job.trim().parse().map_err(|_| anyhow::anyhow!("номер задания не указан"))
}

pub async fn print_confirm(State(state): State<WebState>, staff: Staff, Form(f): Form<ActionForm>) -> Result<Response, WebError> {
    let msg = act(&state, &staff, &f, |job| {
        let id = job_id(&job.form)?;
        crate::printing::ops::confirm(&job.ctx, &crate::printing::ops::ConfirmRequest { exam_id: job.exam(), job: id, by: job.actor.clone(), actor: job.actor.clone() })?;
        Ok(format!("задание {id} получено"))
    })
    .await?;
    Ok(back(&state, &staff, "/print", &f.exam, "", &msg))
}

pub async fn print_reprint(State(state): State<WebState>, staff: Staff, Form(f): Form<ActionForm>) -> Result<Response, WebError> {
    let msg = act_async(&state, &staff, &f, |job| async move {
        let id = job_id(&job.form)?;
        let request = crate::printing::ops::ReprintRequest { exam_id: job.exam(), job: id, printer: None, wait: PRINT_WAIT, actor: job.actor.clone() };
        let row = crate::printing::ops::reprint(&job.ctx, &request).await?;
        if row.state.is_failed() {
            anyhow::bail!("reprint of job {id} failed too ({})", row.state.code());
        }
        Ok(format!("задание {id} отправлено повторно"))
    })
    .await?;
    Ok(back(&state, &staff, "/print", &f.exam, "", &msg))
}

pub async fn scanning_intake(State(state): State<WebState>, staff: Staff, Form(f): Form<ActionForm>) -> Result<Response, WebError> {
    let msg = act(&state, &staff, &f, |job| {
        use crate::scanning::ops::{IntakeRequest, IntakeSource};
        let source = given(&job.form.from).map(|dir| IntakeSource::Folder(dir.into())).unwrap_or(IntakeSource::Configured);
        let report = crate::scanning::ops::ingest(&job.ctx, &IntakeRequest { exam_id: job.exam(), source, expected_file: None, actor: job.actor.clone() })?;
        let fault = report.fault.map(|f| format!("; сканер: {} ({}) — принятые страницы сохранены", f.message_ru(), report.fault_detail)).unwrap_or_default();
        Ok(format!("принято страниц: {} (сопоставлено {}, ждут разбора {}, уже были {}){fault}", report.stored, report.matched, report.to_resolve, report.already_had))
    })
    .await?;
    Ok(back(&state, &staff, "/scanning", &f.exam, "", &msg))
}

pub async fn scanning_assign(State(state): State<WebState>, staff: Staff, Form(f): Form<ActionForm>) -> Result<Response, WebError> {
    let msg = act(&state, &staff, &f, |job| {
        let ctx = &job.ctx;
        let key = crate::scanning::ops::box_sheet_key(ctx)?;
        let expected = crate::scanning::ops::load_expected(ctx, &job.form.exam, None)?;
        let request = crate::scanning::ops::AssignRequest { exam_id: job.exam(), page_id: job.form.page.clone(), code: job.form.code.trim().to_string(), actor: "operator".into() };
        crate::scanning::ops::assign(ctx, &*ctx.db()?, &key, expected.as_ref(), &request)?;
        Ok("страница назначена".into())
    })
    .await?;
    Ok(back(&state, &staff, "/scanning", &f.exam, "", &msg))
}

/// A person's value for a flagged field of a machine-read form (ППЭ-18-МАШ, ППЭ-12-04-МАШ).
pub async fn scanning_marks(State(state): State<WebState>, staff: Staff, Form(f): Form<ActionForm>) -> Result<Response, WebError> {
    let msg = act(&state, &staff, &f, |job| {
        let request = crate::scanning::marks::ops::ResolveRequest {
            exam_id: job.exam(),
            page_id: job.form.page.clone(),
            field: job.form.field.clone(),
            value: job.form.value.clone(),
            actor: job.actor.clone(),
        };
        crate::scanning::marks::ops::resolve(&*job.ctx.db()?, &job.ctx.clock.now_rfc3339(), &request)?;
        Ok(format!("принято: поле {} = «{}»", job.form.field, job.form.value.trim()))
    })
    .await?;
    Ok(back(&state, &staff, "/scanning", &f.exam, "", &msg))
}

pub async fn upload_start(State(state): State<WebState>, staff: Staff, Form(f): Form<ActionForm>) -> Result<Response, WebError> {
    staff.check_csrf(&f.csrf)?;
    require_exam_here(&state, &f.exam).await?;
    let exam = f.exam.clone();
    let ctx = state.ctx.clone();
    let runtime = tokio::runtime::Handle::current();
    // The upload runs on (retrying until done) on a thread of its own, driven by the daemon's
    // runtime; the page shows its progress.
    std::thread::Builder::new()
        .name(format!("ui-upload-{exam}"))
        .spawn(move || match runtime.block_on(crate::upload::ops::upload_once(&ctx, &exam.as_str().into())) {
            Ok(receipt) => tracing::info!(exam = %exam, receipt = %receipt, "upload started from the UI: receipt held"),
            Err(e) => tracing::warn!(exam = %exam, "upload started from the UI failed: {e:#}"),
        })
        .map_err(WebError::internal)?;
    Ok(back(&state, &staff, "/upload", &f.exam, "", "выгрузка начата"))
}

pub async fn desk_select(State(state): State<WebState>, staff: Staff, Form(f): Form<ActionForm>) -> Result<Response, WebError> {
    staff.check_csrf(&f.csrf)?;
    require_exam_here(&state, &f.exam).await?;
    let direction = crate::serial::Direction::parse(&f.direction).ok_or_else(|| WebError::Refused("выберите выдачу или возврат".into()))?;
    if f.auditorium.trim().is_empty() {
        return Err(WebError::Refused("укажите аудиторию".into()));
    }
    let selection = crate::serial::DeskSelection { exam_id: f.exam.clone(), auditorium: f.auditorium.trim().to_string(), direction, actor: staff.login.clone() };
    if let Ok(mut s) = state.desk_selection.lock() {
        *s = Some(selection);
    }
    Ok(back(&state, &staff, "/desk", &f.exam, "", &format!("штаб: {} — аудитория {}; сканируйте коды", direction.title_ru(), f.auditorium.trim())))
}

pub async fn accounts_create(State(state): State<WebState>, staff: Staff, Form(f): Form<ActionForm>) -> Result<Response, WebError> {
    let msg = act_without_exam(&state, &staff, &f, |job| {
        let form = &job.form;
        let role = crate::model::WorkerRole::parse(&form.role).ok_or_else(|| anyhow::anyhow!("неизвестная роль «{}»", form.role))?;
        let (at, worker) = (job.now(), WorkerId::from(form.worker.trim()));
        let request = crate::accounts::ops::CreateAccountRequest { login: form.login.trim(), worker_id: &worker, role, password: &form.password, at: &at, actor: &job.actor };
        let account = crate::accounts::ops::create(&mut *job.ctx.db()?, &request)?;
        Ok(format!("учётная запись {} создана", account.login))
    })
    .await?;
    state.flashes.put(staff.session_id(), &msg);
    Ok(redirect("/accounts"))
}
