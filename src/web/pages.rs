//! The UI's pages (GET): each reads the box's stores on the blocking pool and renders HTML.
//! Nothing here changes state (see `actions`).

use std::collections::HashMap;
use std::convert::Infallible;

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::access::Action;
use super::{blocking, frame, html_escape as esc, url_encode, Staff, WebError, WebState};
use crate::context::EdgeContext;
use crate::model::{Exam, Plan};
use crate::monitoring::Schedule;
use crate::store::Connection;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PageQuery {
    pub exam: Option<String>,
    pub auditorium: Option<String>,
    pub msg: Option<String>,
    pub action: Option<String>,
    pub id: Option<String>,
}

const NO_PLAN: &str = "<p>Плана ещё нет.</p>";

/// The plan of this box, its exams, and the exam a page shows (asked, or nearest `now`);
/// `None` before the plan arrived.
fn day_of(ctx: &EdgeContext, conn: &Connection, asked: Option<&str>, now: DateTime<Utc>) -> anyhow::Result<Option<(Plan, Vec<Exam>, Exam)>> {
    Ok(crate::day::load_exam_day(conn, &ctx.config.ppe_code, asked, now)?.map(|d| (d.plan, d.exams, d.exam)))
}

fn exam_select(exams: &[Exam], chosen: &str, path: &str, extra: &str) -> String {
    let options: String = exams
        .iter()
        .map(|e| format!("<option value=\"{id}\"{sel}>{kind} {subj}, {date}</option>", id = esc(&e.exam_id), sel = if e.exam_id == chosen { " selected" } else { "" }, kind = e.kind.title_ru(), subj = esc(&e.subject_name), date = esc(&e.date)))
        .collect();
    format!("<form method=\"get\" action=\"{path}\" class=\"row\"><label>Экзамен <select name=\"exam\" onchange=\"this.form.submit()\">{options}</select></label>{extra}<button>Показать</button></form>")
}

fn csrf_input(staff: &Staff) -> String {
    format!("<input type=\"hidden\" name=\"csrf\" value=\"{}\">", esc(&staff.csrf))
}

fn message(q: &PageQuery) -> String {
    q.msg.as_deref().map(|m| format!("<div class=\"ok\" id=\"msg\">{}</div>", esc(m))).unwrap_or_default()
}

use crate::day::{local_time_text as local, utc_time_text as hm};

/// Renders a page: reads on the blocking pool, wraps in the frame with the alarms.
async fn render(state: &WebState, staff: Staff, title: &'static str, f: impl FnOnce(&EdgeContext, &Connection, &Staff) -> anyhow::Result<String> + Send + 'static) -> Result<Response, WebError> {
    let ctx = state.ctx.clone();
    let s = staff.clone();
    let (body, alarms) = blocking(move || {
        let conn = ctx.db()?;
        let body = f(&ctx, &conn, &s)?;
        let alarms = crate::day::alarms(&conn, &ctx.config.ppe_code, ctx.clock.now())?;
        Ok((body, alarms))
    })
    .await?;
    Ok(frame(title, Some(&staff), &alarms, &body).into_response())
}

pub async fn home(State(state): State<WebState>, staff: Staff, Query(q): Query<PageQuery>) -> Result<Response, WebError> {
    let speed = state.ctx.clock.speed();
    render(&state, staff, "План дня", move |ctx, conn, _| {
        let now = ctx.clock.now();
        let plan = crate::plan::store::load_plan(conn)?;
        let exams = crate::day::exams_here(&plan, &ctx.config.ppe_code);
        let mut body = format!(
            "{}<div id=\"clock\" data-now=\"{}\" data-speed=\"{speed}\"></div><p class=\"small\">ППЭ {} · время станции <span id=\"now\">{}</span></p>",
            message(&q),
            crate::monitoring::time_text(now),
            esc(&ctx.config.ppe_code),
            hm(now)
        );
        if exams.is_empty() {
            body.push_str("<div class=\"next\">План ППЭ ещё не получен от РЦОИ: станция получит его сама, как только будет связь</div>");
            return Ok(body);
        }
        let Some(exam) = crate::day::pick_exam(&exams, q.exam.as_deref(), now) else { return Ok(body) };
        let Some(s) = Schedule::for_point(&exam, true) else { return Ok(body) };
        let end = exam.extended_end_utc().unwrap_or(s.deadline);
        let n = crate::day::gather_box_numbers(conn, &exam.exam_id, &ctx.config.ppe_code)?;
        let progress = crate::day::Progress::load(conn, &exam.exam_id, &ctx.config.ppe_code)?;
        let activated = progress.activated;
        body.push_str(&exam_select(&exams, &exam.exam_id, "/", ""));
        body.push_str(&format!("<div class=\"next\" id=\"next-step\">{}</div>", esc(&crate::day::next_step(&n, &progress, &s, end, now, exam.utc_offset_min))));
        let points = [("Окно материалов", s.window_open), ("Начало экзамена", s.start), ("Окончание (с учётом ОВЗ)", end), ("Срок выгрузки", s.deadline)];
        body.push_str("<div class=\"timeline\">");
        for (title, t) in points {
            body.push_str(&format!(
                "<div class=\"tl{past}\" data-t=\"{iso}\"><b>{title}</b><span class=\"countdown\">{}</span><div class=\"small\">{}</div></div>",
                countdown_text(t - now),
                local(t, exam.utc_offset_min),
                iso = crate::monitoring::time_text(t),
                past = if t < now { " past" } else { "" }
            ));
        }
        body.push_str("</div>");
        let a = &n.attendance;
        body.push_str(&format!(
            "<div class=\"panel\"><h3>{kind} {subj}, {date}</h3><p>Материалы: {mat}. Рассадка: {seat}. Явка: {present} из {planned}, не явились {absent}, удалены {removed}, досрочно {early}{closed}.</p>\
             <p>Страницы: ожидается {pe}, отсканировано {ps}, не хватает {pm}. Выгрузка: {up}.</p></div>",
            kind = exam.kind.title_ru(),
            subj = esc(&exam.subject_name),
            date = esc(&exam.date),
            mat = if activated { "получены, ключ активирован" } else if n.materials.key_received { "ключ получен, ждёт активации ГЭК" } else if n.materials.verified { "загружены и проверены, ключа ещё нет" } else { "не получены" },
            seat = if n.seating_done { "готова" } else { "нет" },
            present = a.present,
            planned = a.planned,
            absent = a.absent,
            removed = a.removed,
            early = a.early,
            closed = if a.closed { ", явка закрыта" } else { "" },
            pe = n.pages.expected,
            ps = n.pages.scanned,
            pm = n.pages.missing,
            up = match &n.upload.receipt_id {
                Some(_) => "завершена, квитанция получена".to_string(),
                None if n.upload.bytes_total > 0 => format!("{} из {} байт", n.upload.bytes_done, n.upload.bytes_total),
                None => "не начата".to_string(),
            }
        ));
        Ok(body)
    })
    .await
}

fn countdown_text(d: chrono::Duration) -> String {
    let s = d.num_seconds().abs();
    let (h, m) = (s / 3600, s % 3600 / 60);
    let t = if h > 0 { format!("{h} ч {m} мин") } else { format!("{m} мин") };
    if d.num_seconds() >= 0 {
        format!("через {t}")
    } else {
        format!("{t} назад")
    }
}

pub async fn materials(State(state): State<WebState>, staff: Staff, Query(q): Query<PageQuery>) -> Result<Response, WebError> {
    render(&state, staff, "Материалы", move |ctx, conn, staff| {
        let now = ctx.clock.now();
        let Some((_, exams, exam)) = day_of(ctx, conn, q.exam.as_deref(), now)? else { return Ok(NO_PLAN.into()) };
        let id = &exam.exam_id;
        let mut body = message(&q) + &exam_select(&exams, id, "/materials", "");
        let manifest = crate::materials::store::manifest_get(conn, id)?;
        let key = crate::materials::store::key_get(conn, id)?;
        let activation = match &key {
            Some(pkg) => crate::materials::store::activation_get(conn, id, pkg)?,
            None => None,
        };
        body.push_str("<div class=\"panel\"><table>");
        match &manifest {
            Some((version, json)) => {
                let signed: crate::materials::SignedManifest = serde_json::from_str(json)?;
                let verified = crate::materials::store::files_verified(conn, id, &signed.manifest.package_id)?;
                body.push_str(&format!("<tr><th>Пакет</th><td>версия {version}, подпись РЦОИ проверена</td></tr>"));
                for f in &signed.manifest.files {
                    body.push_str(&format!(
                        "<tr><th>{}</th><td>{} байт — {}</td></tr>",
                        esc(&f.name),
                        f.plain_len,
                        if verified.contains(&f.name) { "<span class=\"badge good\">проверен по SHA-256</span>" } else { "<span class=\"badge warn\">не загружен</span>" }
                    ));
                }
            }
            None => body.push_str("<tr><th>Пакет</th><td><span class=\"badge warn\">не получен</span></td></tr>"),
        }
        body.push_str(&format!(
            "<tr><th>Ключ</th><td>{}</td></tr><tr><th>Активация ГЭК</th><td>{}</td></tr></table></div>",
            if key.is_some() { "<span class=\"badge good\">получен (в памяти/tmpfs)</span>" } else { "<span class=\"badge warn\">не получен: выдаётся только в окне</span>" },
            match &activation {
                Some(by) => format!("<span class=\"badge good\">активирован ({})</span>", esc(by)),
                None => "<span class=\"badge warn\">нет</span>".into(),
            }
        ));
        if let Some((start, _)) = exam.materials_window() {
            body.push_str(&format!("<p class=\"small\">Окно материалов открывается {} (по часам РЦОИ).</p>", local(start, exam.utc_offset_min)));
        }
        if staff.may(Action::PullMaterials) {
            body.push_str(&format!(
                "<div class=\"panel\"><h3>Получить</h3><form method=\"post\" action=\"/materials/pull\" class=\"row\">{}<input type=\"hidden\" name=\"exam\" value=\"{}\">\
                 <label>С носителя (папка, необязательно) <input name=\"from\" placeholder=\"/media/usb/…\"></label><button class=\"primary\" id=\"pull\">Получить сейчас</button></form></div>",
                csrf_input(staff),
                esc(id)
            ));
        }
        if staff.may(Action::ActivateMaterials) && key.is_some() && activation.is_none() {
            body.push_str(&format!(
                "<div class=\"panel\"><h3>Активация членом ГЭК</h3><form method=\"post\" action=\"/materials/activate\" class=\"row\">{}<input type=\"hidden\" name=\"exam\" value=\"{}\">\
                 <label>Ваш пароль ещё раз <input type=\"password\" name=\"password\" id=\"gek-password\" required></label><button class=\"primary\" id=\"activate\">Активировать</button></form></div>",
                csrf_input(staff),
                esc(id)
            ));
        }
        Ok(body)
    })
    .await
}

fn names(plan: &Plan) -> HashMap<&str, &crate::model::Participant> {
    plan.participants.iter().map(|p| (p.participant_id.as_str(), p)).collect()
}

pub async fn seating(State(state): State<WebState>, staff: Staff, Query(q): Query<PageQuery>) -> Result<Response, WebError> {
    render(&state, staff, "Рассадка", move |ctx, conn, staff| {
        let now = ctx.clock.now();
        let Some((plan, exams, exam)) = day_of(ctx, conn, q.exam.as_deref(), now)? else { return Ok(NO_PLAN.into()) };
        let id = exam.exam_id.clone();
        let seats: Vec<_> = crate::seating::store::seat_assignments_for_exam(conn, &id)?.into_iter().filter(|s| s.ppe_code == ctx.config.ppe_code).collect();
        let by_id = names(&plan);
        let mut body = message(&q) + &exam_select(&exams, &id, "/seating", "");
        if staff.may(Action::ChangeSeating) {
            body.push_str(&format!(
                "<div class=\"panel\"><form method=\"post\" action=\"/seating/run\" class=\"row\">{c}<input type=\"hidden\" name=\"exam\" value=\"{e}\">\
                 <label>Зерно <input name=\"seed\" value=\"1\" size=\"6\"></label><button class=\"primary\" id=\"seat\">{}</button></form>\
                 <form method=\"post\" action=\"/seating/move\" class=\"row\">{c}<input type=\"hidden\" name=\"exam\" value=\"{e}\"><label>Участник (код) <input name=\"participant\" required size=\"10\"></label>\
                 <label>В аудиторию <input name=\"auditorium\" required size=\"5\"></label><label>Место <input name=\"seat\" size=\"4\" placeholder=\"3Б\"></label><label>Причина <input name=\"reason\" required></label><button>Пересадить</button></form>\
                 <form method=\"post\" action=\"/seating/close\" class=\"row\">{c}<input type=\"hidden\" name=\"exam\" value=\"{e}\"><label>Закрыть аудиторию <input name=\"auditorium\" required size=\"5\"></label>\
                 <label>Резервная <input name=\"reserve\" required size=\"5\"></label><label>Причина <input name=\"reason\" required></label><button class=\"danger\">Закрыть и перевести</button></form></div>",
                if seats.is_empty() { "Рассадить" } else { "Рассадить заново (ручные места сохраняются)" },
                c = csrf_input(staff),
                e = esc(&id)
            ));
        }
        if seats.is_empty() {
            body.push_str("<p>Рассадки ещё нет.</p>");
            return Ok(body);
        }
        let mut rooms: Vec<&str> = seats.iter().map(|s| s.auditorium.as_str()).collect();
        rooms.dedup();
        for room in rooms {
            let Some(a) = plan.auditoriums.iter().find(|a| a.auditorium == room && a.ppe_code == ctx.config.ppe_code) else { continue };
            let here: HashMap<(u16, u16), &crate::model::SeatAssignment> = seats.iter().filter(|s| s.auditorium == room).map(|s| ((s.row, s.column), s)).collect();
            body.push_str(&format!("<div class=\"panel\"><h3>Аудитория {} — участников {}</h3><table class=\"grid\">", esc(room), here.len()));
            for r in 1..=a.rows {
                body.push_str("<tr>");
                for c in 1..=a.columns {
                    match here.get(&(r, c)) {
                        Some(s) => {
                            let name = by_id.get(s.participant_id.as_str()).map(|p| format!("{} {}.", p.surname, p.name.chars().next().unwrap_or(' '))).unwrap_or_default();
                            body.push_str(&format!("<td class=\"taken\">{}<br><b>{}</b>{}</td>", crate::model::seat_label(r, c), esc(&name), if s.manual { " ✋" } else { "" }));
                        }
                        None => body.push_str(&format!("<td class=\"off\">{}</td>", crate::model::seat_label(r, c))),
                    }
                }
                body.push_str("</tr>");
            }
            body.push_str("</table><table><tr><th>Место</th><th>Участник</th><th>Документ</th></tr>");
            let mut list: Vec<_> = here.values().collect();
            list.sort_by_key(|s| (s.row, s.column));
            for s in list {
                let p = by_id.get(s.participant_id.as_str());
                body.push_str(&format!(
                    "<tr><td>{}</td><td>{} <span class=\"small\">{}</span></td><td>{}</td></tr>",
                    crate::model::seat_label(s.row, s.column),
                    esc(&p.map(|p| p.full_name()).unwrap_or_default()),
                    esc(&s.participant_id),
                    esc(&p.map(|p| format!("{} {}", p.doc_series, p.doc_number)).unwrap_or_default())
                ));
            }
            body.push_str("</table></div>");
        }
        Ok(body)
    })
    .await
}

pub async fn roster(State(state): State<WebState>, staff: Staff, Query(q): Query<PageQuery>) -> Result<Response, WebError> {
    render(&state, staff, "Работники", move |ctx, conn, staff| {
        let now = ctx.clock.now();
        let Some((plan, exams, exam)) = day_of(ctx, conn, q.exam.as_deref(), now)? else { return Ok(NO_PLAN.into()) };
        let id = exam.exam_id.clone();
        let workers: HashMap<&str, &crate::model::Worker> = plan.workers.iter().map(|w| (w.worker_id.as_str(), w)).collect();
        let entries = crate::roster::store::roster_get(conn, &id, &ctx.config.ppe_code)?;
        let mut body = message(&q) + &exam_select(&exams, &id, "/roster", "");
        if staff.may(Action::ChangeRoster) {
            body.push_str(&format!(
                "<div class=\"panel\"><form method=\"post\" action=\"/roster/assign\" class=\"row\">{c}<input type=\"hidden\" name=\"exam\" value=\"{e}\"><button class=\"primary\" id=\"roster-assign\">Распределить по правилам</button></form>\
                 <form method=\"post\" action=\"/roster/replace\" class=\"row\">{c}<input type=\"hidden\" name=\"exam\" value=\"{e}\"><label>Не явился (код работника) <input name=\"worker\" required size=\"10\"></label>\
                 <label>Причина <input name=\"reason\" required></label><button>Заменить из резерва (ППЭ-19)</button></form></div>",
                c = csrf_input(staff),
                e = esc(&id)
            ));
        }
        body.push_str("<div class=\"panel\"><table><tr><th>Должность</th><th>Работник</th><th>Код</th></tr>");
        for e in &entries {
            body.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&e.post.title_ru()),
                esc(&workers.get(e.worker_id.as_str()).map(|w| w.full_name()).unwrap_or_default()),
                esc(&e.worker_id)
            ));
        }
        if entries.is_empty() {
            body.push_str("<tr><td colspan=\"3\">Расстановки ещё нет.</td></tr>");
        }
        body.push_str("</table></div>");
        let replacements = crate::roster::store::replacements(conn, &id)?;
        if !replacements.is_empty() {
            body.push_str("<div class=\"panel\"><h3>Замены (ППЭ-19)</h3><table><tr><th>Время</th><th>Должность</th><th>Не явился</th><th>Заменил</th><th>Причина</th></tr>");
            for r in replacements {
                body.push_str(&format!(
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&r.at),
                    esc(&r.post.title_ru()),
                    esc(&r.absent_worker_id),
                    esc(&r.replacement_worker_id),
                    esc(&r.reason)
                ));
            }
            body.push_str("</table></div>");
        }
        Ok(body)
    })
    .await
}

pub async fn attendance(State(state): State<WebState>, staff: Staff, Query(q): Query<PageQuery>) -> Result<Response, WebError> {
    render(&state, staff, "Явка и события", move |ctx, conn, staff| {
        let now = ctx.clock.now();
        let Some((plan, exams, exam)) = day_of(ctx, conn, q.exam.as_deref(), now)? else { return Ok(NO_PLAN.into()) };
        let id = exam.exam_id.clone();
        let seats: Vec<_> = crate::seating::store::seat_assignments_for_exam(conn, &id)?.into_iter().filter(|s| s.ppe_code == ctx.config.ppe_code).collect();
        let mut rooms: Vec<String> = seats.iter().map(|s| s.auditorium.clone()).collect();
        rooms.dedup();
        let room = q.auditorium.clone().filter(|r| rooms.contains(r)).or_else(|| rooms.first().cloned());
        let room_options: String = rooms.iter().map(|r| format!("<option{}>{}</option>", if Some(r) == room.as_ref() { " selected" } else { "" }, esc(r))).collect();
        let mut body = message(&q) + &exam_select(&exams, &id, "/attendance", &format!("<label>Аудитория <select name=\"auditorium\">{room_options}</select></label>"));
        let issued = crate::attendance::store::issued_sheets(conn, &id, &ctx.config.ppe_code)?;
        if issued.is_empty() && staff.may(Action::ChangeSeating) && !seats.is_empty() {
            body.push_str(&format!(
                "<div class=\"panel\"><form method=\"post\" action=\"/attendance/kits\" class=\"row\">{}<input type=\"hidden\" name=\"exam\" value=\"{}\"><button class=\"primary\" id=\"issue-kits\">Выдать индивидуальные комплекты (номера бланков)</button></form></div>",
                csrf_input(staff),
                esc(&id)
            ));
        }
        let Some(room) = room else {
            body.push_str("<p>Рассадки ещё нет.</p>");
            return Ok(body);
        };
        let states = crate::attendance::ops::states(conn, &id)?;
        let by_id = names(&plan);
        let gek: Vec<&crate::model::Worker> = plan
            .workers
            .iter()
            .filter(|w| w.roles.contains(&crate::model::WorkerRole::GekMember) && plan.worker_assignments.iter().any(|a| a.worker_id == w.worker_id && a.ppe_code == ctx.config.ppe_code && a.date == exam.date))
            .collect();
        let gek_options: String = gek.iter().map(|w| format!("<option value=\"{}\">{}</option>", esc(&w.worker_id), esc(&w.full_name()))).collect();
        body.push_str(&format!("<div class=\"panel\"><h3>Аудитория {}</h3><table><tr><th>Место</th><th>Участник</th><th>Статус</th><th>Действия</th></tr>", esc(&room)));
        let mut here: Vec<_> = seats.iter().filter(|s| s.auditorium == room).collect();
        here.sort_by_key(|s| (s.row, s.column));
        let may = staff.may(Action::RecordAttendance);
        for s in here {
            let st = states.get(&s.participant_id).cloned().unwrap_or_default();
            let p = by_id.get(s.participant_id.as_str());
            let status = format!(
                "<span class=\"badge {}\">{}</span>{}{}",
                match st.status {
                    crate::attendance::Status::Present => "good",
                    crate::attendance::Status::Unmarked => "",
                    crate::attendance::Status::Absent => "warn",
                    _ => "bad",
                },
                st.status.title_ru(),
                st.late_at.as_deref().map(|t| format!(" <span class=\"small\">опоздал {}</span>", esc(t))).unwrap_or_default(),
                if st.out_of_room { " <span class=\"badge warn\">вне аудитории</span>" } else { "" }
            );
            let mut actions = String::new();
            if may {
                let form = |kind: &str, title: &str, extra: &str| {
                    format!(
                        "<form method=\"post\" action=\"/attendance/event\">{}<input type=\"hidden\" name=\"exam\" value=\"{}\"><input type=\"hidden\" name=\"auditorium\" value=\"{}\"><input type=\"hidden\" name=\"participant\" value=\"{}\"><input type=\"hidden\" name=\"kind\" value=\"{kind}\">{extra}<button data-kind=\"{kind}\" data-participant=\"{}\">{title}</button></form> ",
                        csrf_input(staff),
                        esc(&id),
                        esc(&room),
                        esc(&s.participant_id),
                        esc(&s.participant_id)
                    )
                };
                use crate::attendance::Status;
                match st.status {
                    Status::Unmarked => {
                        actions.push_str(&form("present", "Явился", ""));
                        actions.push_str(&form("late", "Опоздал", ""));
                        actions.push_str(&form("absent", "Не явился", ""));
                    }
                    Status::Present => {
                        actions.push_str(&form(if st.out_of_room { "returned" } else { "left" }, if st.out_of_room { "Вернулся" } else { "Вышел" }, ""));
                        actions.push_str(&form("kit_replaced", "Заменить комплект", "<input name=\"reason\" placeholder=\"причина\" size=\"12\" required>"));
                        actions.push_str(&form("finished_early", "Досрочно", "<input name=\"reason\" placeholder=\"причина\" size=\"12\" required>"));
                        actions.push_str(&form(
                            "removed",
                            "Удалить",
                            &format!("<input name=\"reason\" placeholder=\"нарушение\" size=\"12\" required><select name=\"gek\">{gek_options}</select>"),
                        ));
                    }
                    Status::Removed | Status::FinishedEarly if staff.may(Action::Print) => {
                        actions.push_str(&format!(
                            "<form method=\"post\" action=\"/print/act\">{}<input type=\"hidden\" name=\"exam\" value=\"{}\"><input type=\"hidden\" name=\"auditorium\" value=\"{}\"><input type=\"hidden\" name=\"participant\" value=\"{}\"><button data-act=\"{}\">Печать акта ({})</button></form>",
                            csrf_input(staff),
                            esc(&id),
                            esc(&room),
                            esc(&s.participant_id),
                            esc(&s.participant_id),
                            if st.status == Status::Removed { "ППЭ-21" } else { "ППЭ-22" }
                        ));
                    }
                    _ => {}
                }
            }
            body.push_str(&format!(
                "<tr id=\"p-{pid}\"><td>{}</td><td>{} <span class=\"small\">{pid}</span></td><td>{status}</td><td>{actions}</td></tr>",
                crate::model::seat_label(s.row, s.column),
                esc(&p.map(|p| p.full_name()).unwrap_or_default()),
                pid = esc(&s.participant_id)
            ));
        }
        body.push_str("</table><p class=\"small\">Акт об удалении (ППЭ-21) или о досрочном завершении (ППЭ-22) печатается кнопкой в строке участника; все ведомости — в разделе «Печать».</p></div>");
        Ok(body)
    })
    .await
}

pub async fn print(State(state): State<WebState>, staff: Staff, Query(q): Query<PageQuery>) -> Result<Response, WebError> {
    render(&state, staff, "Печать", move |ctx, conn, staff| {
        let now = ctx.clock.now();
        let Some((_, exams, exam)) = day_of(ctx, conn, q.exam.as_deref(), now)? else { return Ok(NO_PLAN.into()) };
        let id = exam.exam_id.clone();
        let mut body = message(&q) + &exam_select(&exams, &id, "/print", "");
        let printer = if ctx.config.printer.name.is_empty() { "не задан в ppe.toml".to_string() } else { ctx.config.printer.name.clone() };
        body.push_str(&format!(
            "<div class=\"panel\"><h3>Напечатать</h3><p class=\"small\">Принтер: {}</p><form method=\"post\" action=\"/print/run\" class=\"row\">{}<input type=\"hidden\" name=\"exam\" value=\"{}\">\
             <label>Что <select name=\"what\"><option value=\"sheets\">Индивидуальные комплекты (бланки)</option><option value=\"seating\">Списки рассадки</option><option value=\"statements\">Ведомости, протоколы и акты</option><option value=\"all\">Всё</option><option value=\"kim\">Материалы экзамена (КИМ, из памяти)</option></select></label>\
             <label>Аудитория (пусто — все) <input name=\"auditorium\" size=\"5\"></label><button class=\"primary\" id=\"print\">Печать</button></form></div>",
            esc(&printer),
            csrf_input(staff),
            esc(&id)
        ));
        let jobs = crate::printing::store::print_jobs_for_exam(conn, &id)?;
        body.push_str("<div class=\"panel\"><h3>Задания</h3><table><tr><th>№</th><th>Документ</th><th>Аудитория</th><th>Стр.</th><th>Состояние CUPS</th><th>Получено</th><th></th></tr>");
        for j in jobs.iter().rev() {
            let actions = if j.state.is_failed() {
                format!("<form method=\"post\" action=\"/print/reprint\">{}<input type=\"hidden\" name=\"exam\" value=\"{}\"><input type=\"hidden\" name=\"job\" value=\"{}\"><button>Повторить</button></form>", csrf_input(staff), esc(&id), j.print_job_id)
            } else if j.confirmed_by.is_none() {
                format!("<form method=\"post\" action=\"/print/confirm\">{}<input type=\"hidden\" name=\"exam\" value=\"{}\"><input type=\"hidden\" name=\"job\" value=\"{}\"><button>Получено</button></form>", csrf_input(staff), esc(&id), j.print_job_id)
            } else {
                String::new()
            };
            body.push_str(&format!(
                "<tr class=\"job\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><span class=\"badge {}\">{}</span></td><td>{}</td><td>{actions}</td></tr>",
                j.print_job_id,
                esc(&j.document),
                esc(j.auditorium.as_deref().unwrap_or("все")),
                j.pages,
                if j.state.is_failed() { "bad" } else { "good" },
                j.state.code(),
                esc(j.confirmed_by.as_deref().unwrap_or("—"))
            ));
        }
        body.push_str("</table></div>");
        Ok(body)
    })
    .await
}

pub async fn scanning(State(state): State<WebState>, staff: Staff, Query(q): Query<PageQuery>) -> Result<Response, WebError> {
    render(&state, staff, "Сканирование", move |ctx, conn, staff| {
        let now = ctx.clock.now();
        let Some((_, exams, exam)) = day_of(ctx, conn, q.exam.as_deref(), now)? else { return Ok(NO_PLAN.into()) };
        let id = exam.exam_id.clone();
        let mut body = message(&q) + &exam_select(&exams, &id, "/scanning", "");
        let n = crate::day::gather_box_numbers(conn, &id, &ctx.config.ppe_code)?;
        let expected = crate::day::expected_sheets(conn, &id, &ctx.config.ppe_code)?;
        let c = crate::scanning::intake::completeness_now(conn, &id, &expected)?;
        body.push_str(&format!(
            "<div class=\"panel\"><p>Ожидается страниц: {} · отсканировано: {} · не хватает: {} · ждут разбора: {}</p><progress max=\"{}\" value=\"{}\"></progress>{}</div>",
            n.pages.expected,
            n.pages.scanned,
            n.pages.missing,
            c.to_resolve,
            n.pages.expected.max(1),
            n.pages.scanned,
            if !n.attendance.closed { "<p class=\"small\">Явка ещё не закрыта: число страниц станет окончательным, когда все участники отмечены.</p>" } else { "" }
        ));
        if staff.may(Action::Scan) {
            let source = match (&ctx.config.scanner.device, &ctx.config.scanner.inbox) {
                (d, _) if !d.is_empty() => format!("сканер {}", esc(d)),
                (_, Some(inbox)) => format!("папка сетевого сканера {} (принимается и сама)", esc(&inbox.display().to_string())),
                _ => "сканер не задан в ppe.toml".into(),
            };
            body.push_str(&format!(
                "<div class=\"panel\"><form method=\"post\" action=\"/scanning/intake\" class=\"row\">{}<input type=\"hidden\" name=\"exam\" value=\"{}\"><label>Из папки (необязательно) <input name=\"from\" size=\"30\"></label><button class=\"primary\" id=\"scan\">Сканировать / принять</button></form><p class=\"small\">Источник: {source}</p></div>",
                csrf_input(staff),
                esc(&id)
            ));
        }
        let missing = c.lines_ru();
        if !missing.is_empty() {
            body.push_str("<div class=\"panel\"><h3>Чего не хватает</h3><ul id=\"missing\">");
            for m in missing.iter().take(200) {
                body.push_str(&format!("<li>{}</li>", esc(m)));
            }
            body.push_str("</ul></div>");
        }
        let pages = crate::scanning::store::pages_for_exam(conn, &id)?;
        let to_resolve: Vec<_> = pages.iter().filter(|p| crate::scanning::PageStatus::parse(&p.status).is_none_or(|s| s.to_resolve())).collect();
        if !to_resolve.is_empty() {
            body.push_str("<div class=\"panel\"><h3>Страницы для разбора</h3><table><tr><th>Изображение</th><th>Причина</th><th>Назначить</th></tr>");
            for p in to_resolve {
                let why = crate::scanning::PageStatus::parse(&p.status).map(|s| s.title_ru()).unwrap_or("?");
                let assign = if staff.may(Action::Scan) {
                    format!(
                        "<form method=\"post\" action=\"/scanning/assign\" class=\"row\">{}<input type=\"hidden\" name=\"exam\" value=\"{}\"><input type=\"hidden\" name=\"page\" value=\"{}\"><label>Код листа <input name=\"code\" size=\"34\" required></label><button>Назначить</button></form>",
                        csrf_input(staff),
                        esc(&id),
                        esc(&p.page_id)
                    )
                } else {
                    String::new()
                };
                body.push_str(&format!(
                    "<tr><td><img class=\"scan\" alt=\"страница\" src=\"/scanning/page?exam={}&amp;id={}\"></td><td>{}<div class=\"small\">{}</div></td><td>{assign}</td></tr>",
                    url_encode(&id),
                    url_encode(&p.page_id),
                    esc(why),
                    esc(&p.source)
                ));
            }
            body.push_str("</table></div>");
        }
        Ok(body)
    })
    .await
}

/// The stored image of one scanned page (for a person to resolve it).
pub async fn scanning_page_image(State(state): State<WebState>, _staff: Staff, Query(q): Query<PageQuery>) -> Result<Response, WebError> {
    let ctx = state.ctx.clone();
    let page_id = q.id.clone().unwrap_or_default();
    let (bytes, ext) = blocking(move || {
        let conn = ctx.db()?;
        let page = crate::scanning::store::page_get(&conn, &page_id)?.ok_or_else(|| anyhow::anyhow!("страница не найдена"))?;
        // Only files the intake stored, under the box's scans folder.
        let path = std::path::PathBuf::from(&page.path);
        if !path.starts_with(ctx.config.state_dir.join("scans")) {
            anyhow::bail!("страница вне папки сканов");
        }
        let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
        Ok((std::fs::read(&path)?, ext))
    })
    .await
    .map_err(|e| match e {
        WebError::Refused(m) => WebError::NotFound(m),
        other => other,
    })?;
    let mime = match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "tif" | "tiff" => "image/tiff",
        _ => "application/octet-stream",
    };
    Ok(([(header::CONTENT_TYPE, mime), (header::CACHE_CONTROL, "private, max-age=600")], bytes).into_response())
}

pub async fn upload(State(state): State<WebState>, staff: Staff, Query(q): Query<PageQuery>) -> Result<Response, WebError> {
    render(&state, staff, "Выгрузка", move |ctx, conn, staff| {
        let now = ctx.clock.now();
        let Some((_, exams, exam)) = day_of(ctx, conn, q.exam.as_deref(), now)? else { return Ok(NO_PLAN.into()) };
        let id = exam.exam_id.clone();
        let mut body = message(&q) + &exam_select(&exams, &id, "/upload", "");
        let n = crate::day::gather_box_numbers(conn, &id, &ctx.config.ppe_code)?;
        if let Some(s) = Schedule::for_point(&exam, true) {
            let left = (s.deadline - now).num_minutes();
            body.push_str(&format!(
                "<div class=\"panel\"><p>Срок выгрузки: {} — {}</p>",
                local(s.deadline, exam.utc_offset_min),
                if left >= 0 { format!("осталось {left} мин") } else { format!("<span class=\"error\">прошёл {} мин назад</span>", -left) }
            ));
        } else {
            body.push_str("<div class=\"panel\">");
        }
        let u = &n.upload;
        body.push_str(&format!(
            "<p>Файлов: {} из {} · байт: {} из {}</p><progress max=\"{}\" value=\"{}\"></progress>",
            u.files_done,
            u.files_total,
            u.bytes_done,
            u.bytes_total,
            u.bytes_total.max(1),
            u.bytes_done
        ));
        if u.receipt_id.is_none() && u.bytes_total > u.bytes_done {
            let completions: Vec<_> = crate::upload::store::upload_completions(conn, &id)?
                .into_iter()
                .filter_map(|(at, size)| Some((DateTime::parse_from_rfc3339(&at).ok()?.with_timezone(&Utc), size)))
                .collect();
            match crate::upload::estimate_from_completions(&completions, u.bytes_total - u.bytes_done) {
                Some((rate, eta)) => {
                    let done_at = now + chrono::Duration::seconds(eta as i64);
                    let late = Schedule::for_point(&exam, true).is_some_and(|s| done_at > s.deadline);
                    body.push_str(&format!(
                        "<p{}>Скорость {:.2} МБ/с; завершится примерно {}{}</p>",
                        if late { " class=\"error\"" } else { "" },
                        rate / 1e6,
                        local(done_at, exam.utc_offset_min),
                        if late { " — ПОЗЖЕ СРОКА: проверьте связь, подготовьте выгрузку на носитель (ppe edge export)" } else { "" }
                    ));
                }
                None => body.push_str("<p class=\"small\">Скорость ещё измеряется.</p>"),
            }
        }
        match crate::upload::store::receipt_latest(conn, &id)? {
            Some((manifest, json)) => {
                let r: crate::upload::Receipt = serde_json::from_str(&json)?;
                body.push_str(&format!(
                    "<div class=\"ok\" id=\"receipt\">Квитанция РЦОИ получена, подпись проверена: принято {} файлов, {} байт, {}. Опись {}</div>",
                    r.receipt.file_count,
                    r.receipt.total_bytes,
                    esc(&r.receipt.received_at),
                    esc(&manifest)
                ));
            }
            None => body.push_str("<p>Квитанции ещё нет. Выгрузка начинается сама, когда комплектность полная.</p>"),
        }
        body.push_str("</div>");
        if staff.may(Action::Upload) && u.receipt_id.is_none() {
            body.push_str(&format!(
                "<div class=\"panel\"><form method=\"post\" action=\"/upload/start\" class=\"row\">{}<input type=\"hidden\" name=\"exam\" value=\"{}\"><button class=\"primary\" id=\"upload\">Выгрузить сейчас</button></form><p class=\"small\">Если комплектность неполная, в пакет попадёт запись о том, чего не хватает.</p></div>",
                csrf_input(staff),
                esc(&id)
            ));
        }
        Ok(body)
    })
    .await
}

pub async fn audit(State(state): State<WebState>, staff: Staff, Query(q): Query<PageQuery>) -> Result<Response, WebError> {
    render(&state, staff, "Журнал", move |_ctx, conn, _| {
        let prefix = q.action.clone().unwrap_or_default();
        let entries = crate::audit::store::list(conn, Some(prefix.as_str()), 500)?;
        let (_, head) = crate::audit::store::head(conn)?;
        let mut body = format!(
            "<form method=\"get\" action=\"/audit\" class=\"row\"><label>Действие начинается с <input name=\"action\" value=\"{}\" placeholder=\"attendance.\"></label><button>Фильтр</button></form><p class=\"small\">Вершина цепочки: {}</p><div class=\"panel\"><table><tr><th>№</th><th>Время</th><th>Кто</th><th>Действие</th><th>Объект</th><th>Подробности</th></tr>",
            esc(&prefix),
            esc(&head)
        );
        for e in entries.iter().rev() {
            body.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"small\">{}</td></tr>",
                e.seq,
                esc(&e.at),
                esc(&e.actor),
                esc(&e.action),
                esc(&e.object),
                esc(&e.details.to_string())
            ));
        }
        body.push_str("</table></div>");
        Ok(body)
    })
    .await
}

pub async fn desk(State(state): State<WebState>, staff: Staff, Query(q): Query<PageQuery>) -> Result<Response, WebError> {
    let selection = state.desk_selection.lock().map(|s| s.clone()).unwrap_or(None);
    render(&state, staff, "Штаб: выдача и возврат материалов", move |ctx, conn, staff| {
        let now = ctx.clock.now();
        let Some((_, _, exam)) = day_of(ctx, conn, q.exam.as_deref(), now)? else { return Ok(NO_PLAN.into()) };
        let id = exam.exam_id.clone();
        let mut body = message(&q);
        body.push_str(&format!(
            "<div class=\"panel\"><p>Сейчас: {}</p><form method=\"post\" action=\"/desk/select\" class=\"row\">{}<input type=\"hidden\" name=\"exam\" value=\"{}\">\
             <label>Аудитория <input name=\"auditorium\" required size=\"5\"></label><label>Операция <select name=\"direction\"><option value=\"issue\">выдача в аудиторию</option><option value=\"return\">возврат из аудитории</option></select></label><button class=\"primary\">Выбрать</button></form>\
             <p class=\"small\">Сканер штрихкодов: {}</p></div>",
            match &selection {
                Some(s) => format!("{} — аудитория {} ({})", esc(&s.exam_id), esc(&s.auditorium), s.direction.title_ru()),
                None => "операция не выбрана".into(),
            },
            csrf_input(staff),
            esc(&id),
            if ctx.config.serial.port.is_empty() { "не задан в ppe.toml".to_string() } else { esc(&ctx.config.serial.port) }
        ));
        body.push_str("<div class=\"panel\"><h3>Только что</h3><ul id=\"desk-feed\"></ul></div>");
        let moves = crate::serial::store::movements_for_exam(conn, &id)?;
        body.push_str("<div class=\"panel\"><h3>Записано</h3><table><tr><th>Время</th><th>Аудитория</th><th>Операция</th><th>Лист</th><th>Кто</th></tr>");
        for m in moves.iter().rev().take(300) {
            body.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} № {}</td><td>{}</td></tr>",
                esc(&m.at),
                esc(&m.auditorium),
                m.direction.title_ru(),
                m.sheet.kind.title_ru(),
                m.sheet.number,
                esc(&m.actor)
            ));
        }
        body.push_str("</table></div>");
        Ok(body)
    })
    .await
}

/// Every scan at the staff-room desk, as it happens (server-sent events).
pub async fn desk_events(State(state): State<WebState>, _staff: Staff) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>> {
    let rx = state.desk_events.subscribe();
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(ev) => {
                    let data = serde_json::to_string(&ev).unwrap_or_default();
                    return Some((Ok(Event::default().data(data)), rx));
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

pub async fn accounts(State(state): State<WebState>, staff: Staff, Query(q): Query<PageQuery>) -> Result<Response, WebError> {
    render(&state, staff, "Учётные записи", move |_ctx, conn, staff| {
        let mut body = message(&q);
        body.push_str("<div class=\"panel\"><table><tr><th>Логин</th><th>Работник</th><th>Роль</th></tr>");
        for (login, worker, role) in crate::accounts::store::account_list(conn)? {
            let role = crate::model::WorkerRole::parse(&role).map(|r| r.title_ru()).unwrap_or("?");
            body.push_str(&format!("<tr><td>{}</td><td>{}</td><td>{}</td></tr>", esc(&login), esc(&worker), role));
        }
        body.push_str("</table></div>");
        let roles: String = crate::model::WorkerRole::ALL.iter().map(|r| format!("<option value=\"{}\">{}</option>", r.code(), r.title_ru())).collect();
        body.push_str(&format!(
            "<div class=\"panel\"><h3>Новая учётная запись</h3><form method=\"post\" action=\"/accounts/create\" class=\"row\">{}<label>Логин <input name=\"login\" required></label><label>Код работника <input name=\"worker\" required size=\"10\"></label>\
             <label>Роль <select name=\"role\">{roles}</select></label><label>Пароль <input type=\"password\" name=\"password\" minlength=\"8\" required></label><button class=\"primary\">Создать</button></form></div>",
            csrf_input(staff)
        ));
        Ok(body)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countdowns_read_naturally() {
        assert_eq!(countdown_text(chrono::Duration::minutes(75)), "через 1 ч 15 мин");
        assert_eq!(countdown_text(chrono::Duration::minutes(-5)), "5 мин назад");
    }
}
