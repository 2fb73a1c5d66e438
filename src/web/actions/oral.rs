//! The oral exam's actions: building the queues, a turn's step, a move to another room's
//! queue, the expert's protocol. Each checks the session's CSRF and the exam, then the room
//! against the roster now (403 for a room that is not this person's), then makes one
//! `oral::ops` call (one transaction + audit entry); a refusal of the rules comes back as the
//! page's message, never an error page.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::Response;
use axum::Form;

use super::{act, back, ActionForm, Job};
use crate::model::{ExamId, ParticipantId, PpeCode};
use crate::oral::ops::{self, ExamRequest, MoveRequest, ScoreRequest, Step, StepRequest};
use crate::web::views::oral::protocols::{protocols_page, Draft};
use crate::web::views::oral::require_room;
use crate::web::views::PageQuery;
use crate::web::{url_encode, Staff, WebError, WebState};

/// The use case's refusal as the page's message; any other failure stays an error.
fn told(result: Result<String, WebError>) -> Result<String, WebError> {
    match result {
        Err(WebError::Refused(reason)) => Ok(format!("отказано: {reason}")),
        other => other,
    }
}

fn room_back(state: &WebState, staff: &Staff, page: &str, f: &ActionForm, msg: &str) -> Response {
    back(state, staff, page, &f.exam, &format!("&auditorium={}", url_encode(f.auditorium.trim())), msg)
}

/// The participant must stand in the queue of the room the form names (the one the person's
/// rights were checked for).
fn in_room(job: &Job, exam: &ExamId, ppe: &PpeCode) -> anyhow::Result<()> {
    let (who, room) = (job.form.participant.trim(), job.form.auditorium.trim());
    let turns = ops::queue(&*job.ctx.db()?, exam, ppe)?;
    match turns.iter().find(|t| t.participant_id == who) {
        Some(t) if t.auditorium == room => Ok(()),
        Some(t) => anyhow::bail!("участник {who} стоит в очереди аудитории {}, а не {room}", t.auditorium),
        None => anyhow::bail!("участник {who} не стоит в очереди этого экзамена"),
    }
}

pub async fn oral_build(State(state): State<WebState>, staff: Staff, Form(f): Form<ActionForm>) -> Result<Response, WebError> {
    let msg = told(
        act(&state, &staff, &f, |job| {
            let (exam, ppe, at) = (job.exam(), job.ppe_code(), job.now());
            let turns = ops::build(&mut *job.ctx.db()?, &ExamRequest { exam_id: &exam, ppe_code: &ppe, at: &at, actor: &job.actor })?;
            Ok(format!("очереди построены: участников {}", turns.len()))
        })
        .await,
    )?;
    Ok(back(&state, &staff, "/oral", &f.exam, "", &msg))
}

pub async fn oral_step(State(state): State<WebState>, staff: Staff, Form(f): Form<ActionForm>) -> Result<Response, WebError> {
    staff.check_csrf(&f.csrf)?;
    require_room(&state, &staff, Some(&f.exam), f.auditorium.trim(), |r| r.run).await?;
    let msg = told(
        act(&state, &staff, &f, |job| {
            let (step, done) = match job.form.kind.as_str() {
                "start" => (Step::Start, "отвечает"),
                "finish" => (Step::Finish, "закончил ответ"),
                "absent" => (Step::Absent, "не явился"),
                "late" => (Step::Late, "опоздал: в конце очереди"),
                other => anyhow::bail!("неизвестный шаг очереди «{other}»"),
            };
            let (exam, ppe, at, participant) = (job.exam(), job.ppe_code(), job.now(), ParticipantId::from(job.form.participant.trim()));
            in_room(job, &exam, &ppe)?;
            let request = StepRequest { exam_id: &exam, ppe_code: &ppe, participant_id: &participant, step, at: &at, actor: &job.actor };
            let turn = ops::step(&mut *job.ctx.db()?, &request)?;
            Ok(format!("участник {}: {done} (аудитория {}, место {})", turn.participant_id, turn.auditorium, turn.position))
        })
        .await,
    )?;
    Ok(room_back(&state, &staff, "/oral", &f, &msg))
}

pub async fn oral_move(State(state): State<WebState>, staff: Staff, Form(f): Form<ActionForm>) -> Result<Response, WebError> {
    staff.check_csrf(&f.csrf)?;
    require_room(&state, &staff, Some(&f.exam), f.auditorium.trim(), |r| r.run).await?;
    let msg = told(
        act(&state, &staff, &f, |job| {
            let (exam, ppe, at, participant) = (job.exam(), job.ppe_code(), job.now(), ParticipantId::from(job.form.participant.trim()));
            in_room(job, &exam, &ppe)?;
            let request = MoveRequest {
                exam_id: &exam,
                ppe_code: &ppe,
                participant_id: &participant,
                to_auditorium: job.form.to.trim(),
                reason: &job.form.reason,
                at: &at,
                actor: &job.actor,
            };
            let moved = ops::move_to(&mut *job.ctx.db()?, &request)?;
            Ok(format!("участник {} переведён в очередь аудитории {} (место {})", moved.participant_id, moved.auditorium, moved.position))
        })
        .await,
    )?;
    Ok(room_back(&state, &staff, "/oral", &f, &msg))
}

/// The expert's form: the usual fields and one `pt:<criterion>` per criterion.
fn score_form(pairs: &[(String, String)]) -> (ActionForm, Result<BTreeMap<String, u8>, String>, bool) {
    let field = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let form = ActionForm {
        csrf: field("csrf"),
        exam: field("exam"),
        auditorium: field("auditorium"),
        participant: field("participant"),
        ..Default::default()
    };
    let points = pairs
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("pt:").map(|code| (code, v)))
        .map(|(code, v)| v.trim().parse::<u8>().map(|p| (code.to_string(), p)).map_err(|_| format!("критерий «{code}»: «{v}» — не число баллов")))
        .collect();
    (form, points, field("do") == "preview")
}

pub async fn oral_score(State(state): State<WebState>, staff: Staff, Form(pairs): Form<Vec<(String, String)>>) -> Result<Response, WebError> {
    let (f, points, preview) = score_form(&pairs);
    staff.check_csrf(&f.csrf)?;
    require_room(&state, &staff, Some(&f.exam), f.auditorium.trim(), |r| r.score).await?;
    if preview {
        let (ctx, participant) = (state.ctx.clone(), f.participant.trim().to_string());
        let draft_points = points.clone().unwrap_or_default();
        let outcome = crate::web::blocking(move || {
            let plan = crate::plan::store::load_plan(&*ctx.db()?)?;
            let health = plan.participants.iter().find(|p| p.participant_id == participant).map(|p| p.health).unwrap_or_default();
            Ok(points.and_then(|p| crate::oral::criteria::score(&crate::oral::CURRENT, &p, health).map_err(|e| e.to_string())))
        })
        .await?;
        let draft = Draft { participant_id: f.participant.trim().to_string(), points: draft_points, outcome };
        let q = PageQuery { exam: Some(f.exam.clone()), auditorium: Some(f.auditorium.trim().to_string()), ..Default::default() };
        return protocols_page(&state, staff, q, Some(draft)).await;
    }
    let msg = told(
        act(&state, &staff, &f, move |job| {
            let points = points.map_err(anyhow::Error::msg)?;
            let (exam, ppe, at, participant) = (job.exam(), job.ppe_code(), job.now(), ParticipantId::from(job.form.participant.trim()));
            in_room(job, &exam, &ppe)?;
            let request = ScoreRequest { exam_id: &exam, ppe_code: &ppe, participant_id: &participant, login: &job.actor, points: &points, at: &at };
            let p = ops::score(&mut *job.ctx.db()?, &request)?;
            Ok(format!(
                "протокол участника {}: {} из {} — {}",
                p.participant_id,
                p.score.total,
                crate::oral::CURRENT.max_points(),
                p.score.result_ru()
            ))
        })
        .await,
    )?;
    Ok(room_back(&state, &staff, "/oral/protocols", &f, &msg))
}
