//! The oral and computer days of the demo, one exam at the box, played like the written day
//! (`autopilot`, whose steps it reuses: plan sync, seating, roster, kits, the ГЭК member's
//! key, the forms, the scans, the upload): the ИС-9 and «Говорение» queues with their times
//! (one participant absent all day, one absent at the call who comes late, one moved to the
//! other room's queue with a reason), every answer recorded for real, one silent take and one
//! cut export flagged and kept with their reasons and then resolved by the station's good
//! copies, the expert's protocols entered by the expert's own account; the КЕГЭ's answer
//! archives from every workstation (one participant moved to a reserve workstation, one
//! workstation saving nothing, named by completeness). One line per step.

use std::collections::BTreeMap;

use anyhow::Context;
use chrono::Duration;

use super::station::{self, Take};
use crate::attendance::{self, EventKind, ExamEvent};
use crate::context::EdgeContext;
use crate::demo::autopilot::{self, say, wait_for, DEMO_PASSWORD, GEK_LOGIN, TECH_LOGIN};
use crate::model::{Exam, ExamId, ParticipantId, PpeCode, Technology, WorkerRole};
use crate::oral::ops::{self as oral, Step};
use crate::oral::TurnState;

/// The folder beside the box's config where the demo's recording station (КЕГЭ: the
/// workstations) exports its files.
pub const STATION_DIR: &str = "station-export";
/// The folder beside the box's config where the demo keeps a PDF copy of every printed form.
pub const PRINTED_DIR: &str = "printed";

/// Plays the day of one oral or computer exam to the hub's receipt.
pub async fn play_day(ctx: &EdgeContext, exam: &Exam) -> anyhow::Result<Vec<crate::upload::Receipt>> {
    let exam_id = exam.exam_id.as_str();
    wait_for(ctx, "план и шифрованный пакет", || {
        let conn = ctx.db()?;
        Ok(crate::plan::store::exam_get(&conn, exam_id)?.is_some() && crate::materials::store::manifest_get(&conn, exam_id)?.is_some())
    })
    .await?;
    let technology = exam.technology();
    say(
        ctx,
        &format!("{exam_id}: {}: план ППЭ получен от РЦОИ, шифрованный пакет загружен и проверен по подписанному манифесту", technology.title_ru()),
    );
    autopilot::ensure_accounts(ctx, exam)?;
    let hold = ctx.clock.hold(); // the staff's work at wall speed (autopilot::play_day says why)
    autopilot::prepare_exam(ctx, exam).await?;
    drop(hold);
    let readiness = crate::demo::readiness::spawn_day_before(ctx, std::slice::from_ref(exam));
    let gek_worker = crate::accounts::store::account_get(&*ctx.db()?, GEK_LOGIN)?.map(|a| a.0.worker_id).context("демо-учётная запись члена ГЭК")?;
    autopilot::activate_key(ctx, exam, &gek_worker).await?;
    match technology {
        Technology::OralInterview | Technology::OralRecorded => oral_day(ctx, exam).await?,
        Technology::Computer => computer_day(ctx, exam).await?,
        Technology::Written => anyhow::bail!("{exam_id}: письменный экзамен играет обычный день демонстрации"),
    }
    let printed = box_dir(ctx)?.join(PRINTED_DIR).join(exam_id);
    // One run of everything: the oral forms' numbers are reserved with the statements but
    // rendered with the lists, so a lists-only run of an oral exam has nothing to print them on.
    let receipt = autopilot::print_scan_upload(ctx, exam, &[crate::printing::PrintWhat::All], Some(&printed)).await?;
    let files = &receipt.receipt.participant_files;
    say(ctx, &format!("{exam_id}: квитанция РЦОИ перечисляет {} файлов участников, каждый с хешем:", files.len()));
    for f in files {
        println!("    {} {} {} ({} байт)", f.participant_id, f.kind, f.sha256, f.size);
    }
    let _ = readiness.await;
    Ok(vec![receipt])
}

fn at(exam: &Exam, minutes: i64) -> anyhow::Result<String> {
    Ok((exam.start_utc().context("начало экзамена")? + Duration::minutes(minutes)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

fn hhmm(exam: &Exam, minutes: i64) -> String {
    exam.start_utc().map(|s| (s + Duration::minutes(minutes + i64::from(exam.utc_offset_min))).format("%H:%M").to_string()).unwrap_or_default()
}

fn attend(conn: &mut crate::store::Connection, exam: &Exam, participant: &str, kind: EventKind, at: String, now: &str) -> anyhow::Result<()> {
    let e = ExamEvent {
        medical_worker_id: String::new(),
        exam_id: exam.exam_id.clone(),
        participant_id: participant.into(),
        kind,
        at,
        reason: String::new(),
        gek_worker_id: String::new(),
        actor: "organizer".into(),
    };
    attendance::ops::record(conn, now, e)?;
    Ok(())
}

/// The queues of an oral exam from the waiting (preparation) rooms to the conducting
/// (recording) rooms, the recordings, and (ИС-9) the expert's protocols.
async fn oral_day(ctx: &EdgeContext, exam: &Exam) -> anyhow::Result<()> {
    let exam_id = exam.exam_id.as_str();
    let (eid, ppe) = (ExamId::from(exam_id), PpeCode::from(&ctx.config.ppe_code));
    let interview = exam.technology() == Technology::OralInterview;
    let minutes = i64::from(exam.technology().profile().minutes_per_participant.unwrap_or(15));
    ctx.clock.sleep_until(exam.start_utc().context("начало экзамена")? - Duration::minutes(5)).await;
    let mut conn = ctx.db()?;
    let now = ctx.clock.now_rfc3339();
    let turns = oral::build(&mut conn, &oral::ExamRequest { exam_id: &eid, ppe_code: &ppe, at: &now, actor: TECH_LOGIN })?;
    let mut rooms: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for t in &turns {
        rooms.entry(t.auditorium.clone()).or_default().push(t.participant_id.clone());
    }
    let listed: Vec<String> = rooms.iter().map(|(r, q)| format!("ауд. {r} — {}", q.len())).collect();
    let (waiting, conducting) =
        if interview { ("ожидания", "проведения") } else { ("подготовки", "записи ответов") };
    say(ctx, &format!("{exam_id}: очереди из аудиторий {waiting} в аудитории {conducting}: {}", listed.join(", ")));

    // The calls: one never comes, one is not there when called and comes late (to the end of
    // the queue), one moves to the other room's queue.
    let first: Vec<String> = rooms.values().next().cloned().unwrap_or_default();
    let other_room = rooms.keys().nth(1).cloned();
    let step = |conn: &mut crate::store::Connection, who: &str, step: Step, m: i64| -> anyhow::Result<crate::oral::Turn> {
        let p = ParticipantId::from(who);
        Ok(oral::step(conn, &oral::StepRequest { exam_id: &eid, ppe_code: &ppe, participant_id: &p, step, at: &at(exam, m)?, actor: "organizer" })?)
    };
    let (absent, late, moved) = (first.get(1).cloned(), first.get(2).cloned(), first.get(3).cloned());
    for who in absent.iter().chain(&late) {
        step(&mut conn, who, Step::Absent, 0)?;
    }
    if let (Some(who), Some(to)) = (&moved, &other_room) {
        let p = ParticipantId::from(who.as_str());
        let reason = "по решению руководителя ППЭ: в аудитории отказал микрофон станции записи, очередь перераспределена";
        oral::move_to(
            &mut conn,
            &oral::MoveRequest { exam_id: &eid, ppe_code: &ppe, participant_id: &p, to_auditorium: to, reason, at: &at(exam, 1)?, actor: TECH_LOGIN },
        )?;
    }
    if let Some(who) = &late {
        step(&mut conn, who, Step::Late, 25)?;
    }
    // Attendance: everyone marked (the late one as late), so the day can close.
    for t in &turns {
        let (kind, m) = match Some(&t.participant_id) {
            w if w == absent.as_ref() => (EventKind::Absent, 0),
            w if w == late.as_ref() => (EventKind::Late, 25),
            _ => (EventKind::Present, 0),
        };
        attend(&mut conn, exam, &t.participant_id, kind, at(exam, m)?, &now)?;
    }
    // The turns, one at a time in each room: the answer, then the next called a minute later.
    let extra: std::collections::HashSet<String> = {
        let plan = crate::plan::store::load_plan(&conn)?;
        plan.participants.iter().filter(|p| p.conditions.extra_time).map(|p| p.participant_id.clone()).collect()
    };
    let mut last = 0;
    let queue = oral::queue(&conn, &eid, &ppe)?;
    let mut by_room: BTreeMap<&str, Vec<&crate::oral::Turn>> = BTreeMap::new();
    for t in queue.iter().filter(|t| t.state == TurnState::Waiting) {
        by_room.entry(t.auditorium.as_str()).or_default().push(t);
    }
    let mut spans = Vec::new();
    for (room, mut waiting) in by_room {
        waiting.sort_by_key(|t| t.position);
        let mut clock = 0;
        for t in &waiting {
            // The late one cannot answer before arriving.
            if Some(&t.participant_id) == late.as_ref() {
                clock = clock.max(26);
            }
            let length = minutes + if extra.contains(&t.participant_id) { i64::from(crate::model::ORAL_EXTRA_MIN) } else { 0 };
            step(&mut conn, &t.participant_id, Step::Start, clock)?;
            step(&mut conn, &t.participant_id, Step::Finish, clock + length)?;
            clock += length + 1;
        }
        spans.push(format!("ауд. {room}: {} ответов {}–{}", waiting.len(), hhmm(exam, 0), hhmm(exam, clock - 1)));
        last = last.max(clock);
    }
    drop(conn);
    // The station records each answer as the day goes (the real audio takes wall seconds,
    // made while the simulated queue runs).
    let done = oral::queue(&*ctx.db()?, &eid, &ppe)?;
    let answered: Vec<crate::oral::Turn> = done.iter().filter(|t| matches!(t.state, TurnState::Done { .. })).cloned().collect();
    let recording = tokio::task::spawn_blocking({
        let (takes, work) = (station_takes(ctx, exam_id, &answered)?, station_work(ctx)?);
        move || {
            let started = std::time::Instant::now();
            station::record_all(&takes, &work).map(|()| started.elapsed())
        }
    });
    ctx.clock.sleep_until(exam.start_utc().context("начало экзамена")? + Duration::minutes(last)).await;
    let count = |f: &dyn Fn(&crate::oral::Turn) -> bool| done.iter().filter(|t| f(t)).count();
    say(
        ctx,
        &format!(
            "{exam_id}: очереди пройдены: {}; ответили {}, не явился {}, опоздал {} (в конец очереди), переведён в другую аудиторию {}",
            spans.join("; "),
            count(&|t| matches!(t.state, TurnState::Done { .. })),
            count(&|t| t.state == TurnState::Absent),
            count(&|t| t.late),
            count(&|t| !t.moved_from.is_empty())
        ),
    );
    let took = recording.await??;
    recordings_in(ctx, exam, &answered, took).await?;
    if interview {
        protocols(ctx, exam, &answered)?;
    }
    Ok(())
}

fn box_dir(ctx: &EdgeContext) -> anyhow::Result<std::path::PathBuf> {
    Ok(ctx.config_path.parent().context("папка ППЭ")?.to_path_buf())
}

/// Waits until the daemon's recordings inbox has taken `n` files of the exam in all; returns
/// what it holds.
async fn taken_by_daemon(ctx: &EdgeContext, exam_id: &str, n: usize) -> anyhow::Result<Vec<crate::recordings::store::RecordingFileRow>> {
    let _hold = ctx.clock.hold(); // the daemon's intake at wall speed (autopilot::sit_exam says why)
    wait_for(ctx, "приём файлов станции из папки выгрузки", || {
        Ok(crate::recordings::store::files_for_exam(&*ctx.db()?, exam_id)?.len() >= n)
    })
    .await?;
    Ok(crate::recordings::store::files_for_exam(&*ctx.db()?, exam_id)?)
}

fn station_work(ctx: &EdgeContext) -> anyhow::Result<std::path::PathBuf> {
    Ok(box_dir(ctx)?.join(STATION_DIR).join(".work"))
}

fn station_export(ctx: &EdgeContext, exam_id: &str) -> anyhow::Result<std::path::PathBuf> {
    Ok(box_dir(ctx)?.join(STATION_DIR).join(exam_id))
}

/// The station's file of a turn: `0101_103-05_P0000006.wav` (room and turn, then the
/// participant: the demo box's `audio_name_pattern`).
fn station_name(ppe: &str, t: &crate::oral::Turn, suffix: &str, ext: &str) -> String {
    format!("{ppe}_{}-{:02}{suffix}_{}.{ext}", t.auditorium, t.position, t.participant_id)
}

/// What the station gives for each answer: the first take silent, the second's export cut
/// short, every fourth converted to OGG, the rest WAV; and in `copies/` the good takes of the
/// first two (the reserve recorder's copy, a fresh export).
fn station_takes(ctx: &EdgeContext, exam_id: &str, answered: &[crate::oral::Turn]) -> anyhow::Result<Vec<station::Job>> {
    let export = station_export(ctx, exam_id)?;
    let ppe = &ctx.config.ppe_code;
    let mut jobs: Vec<station::Job> = answered
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let take = match i {
                0 => Take::Silent,
                1 => Take::Truncated,
                i if i % 4 == 3 => Take::SpokenOgg,
                _ => Take::Spoken,
            };
            let ext = if take == Take::SpokenOgg { "ogg" } else { "wav" };
            station::Job { to: export.join(station_name(ppe, t, "", ext)), text: station::answer_text(i), take }
        })
        .collect();
    for (i, t) in answered.iter().take(2).enumerate() {
        jobs.push(station::Job {
            to: export.join(COPIES_DIR).join(station_name(ppe, t, "r", "wav")),
            text: station::answer_text(i),
            take: Take::Spoken,
        });
    }
    Ok(jobs)
}

/// The station's folder of the good copies, inside its export folder.
const COPIES_DIR: &str = "copies";

/// The station's files taken in by the box; the two bad ones kept with their reasons, then
/// the station's good copies taken in and the bad ones set aside with a reason each.
async fn recordings_in(ctx: &EdgeContext, exam: &Exam, answered: &[crate::oral::Turn], took: std::time::Duration) -> anyhow::Result<()> {
    let exam_id = exam.exam_id.clone();
    let export = station_export(ctx, &exam_id)?;
    let spoken = answered.len();
    let rows = taken_by_daemon(ctx, &exam_id, spoken).await?;
    let status = |s: &str| rows.iter().filter(|f| f.status == s).count();
    say(
        ctx,
        &format!(
            "{exam_id}: станция записи: {spoken} ответов записаны (espeak-ng, sox, ffmpeg: {:.1} с); демон ППЭ взял из папки выгрузки файлов {}, сопоставлено {}, к разбору {}",
            took.as_secs_f64(),
            rows.len(),
            status("matched"),
            status("to_resolve")
        ),
    );
    let bad: Vec<&crate::recordings::store::RecordingFileRow> = rows.iter().filter(|f| f.status == "to_resolve").collect();
    for f in &bad {
        say(ctx, &format!("{exam_id}: файл «{}» отложен и хранится: {}", f.source_name, f.reason));
    }
    // The station still holds the good takes: the reserve recorder's copy of the muted one
    // and a fresh export of the cut one, exported now.
    for entry in std::fs::read_dir(export.join(COPIES_DIR))?.flatten() {
        std::fs::rename(entry.path(), export.join(entry.file_name()))?;
    }
    let after = taken_by_daemon(ctx, &exam_id, rows.len() + 2).await?;
    let copies = after.iter().filter(|f| f.status == "matched" && !rows.iter().any(|r| r.file_id == f.file_id)).count();
    let conn = ctx.db()?;
    for f in &bad {
        let why = if f.reason.contains("тишина") {
            "микрофон был выключен: принята копия резервного рекордера"
        } else {
            "выгрузка оборвалась: принята повторная выгрузка со станции"
        };
        let r = crate::recordings::ops::ResolveRequest {
            exam_id: &exam_id,
            ppe_code: &ctx.config.ppe_code,
            file_id: &f.file_id,
            actor: TECH_LOGIN,
            note: why,
        };
        crate::recordings::ops::set_aside(&conn, &ctx.clock, &r)?;
    }
    let c = crate::recordings::facts::completeness_now(&conn, &exam_id, &ctx.config.ppe_code)?;
    let (held, lines) = c.map(|(kind, c)| (format!("{} из {}", c.received, c.expected), c.lines_ru(kind))).unwrap_or_default();
    say(
        ctx,
        &format!(
            "{exam_id}: копии со станции приняты ({copies} сопоставлено), плохие файлы отложены с причиной и хранятся; записи: {held}{}",
            if lines.is_empty() { ", комплектность записей полная".to_string() } else { format!("; {}", lines.join("; ")) }
        ),
    );
    let _ = std::fs::remove_dir_all(station_work(ctx)?);
    Ok(())
}

/// The experts' accounts (one per conducting room, from the roster) and their protocols: full
/// points for most, one weak answer (незачёт).
fn protocols(ctx: &EdgeContext, exam: &Exam, answered: &[crate::oral::Turn]) -> anyhow::Result<()> {
    let exam_id = exam.exam_id.as_str();
    let (eid, ppe) = (ExamId::from(exam_id), PpeCode::from(&ctx.config.ppe_code));
    let mut conn = ctx.db()?;
    let roster = crate::roster::store::roster_get(&conn, exam_id, &ctx.config.ppe_code)?;
    let now = ctx.clock.now_rfc3339();
    let mut login_of = BTreeMap::new();
    for e in &roster {
        if let crate::roster::Post::Expert { auditorium } = &e.post {
            let login = format!("expert{auditorium}");
            if crate::accounts::store::account_get(&conn, &login)?.is_none() {
                crate::accounts::create_account(&mut conn, &login, &e.worker_id, WorkerRole::Expert, DEMO_PASSWORD, &now)?;
            }
            login_of.insert(auditorium.clone(), login);
        }
    }
    let full: BTreeMap<String, u8> = crate::oral::CURRENT.criteria().map(|c| (c.code.to_string(), c.max)).collect();
    let (mut passed, mut failed) = (0, 0);
    for (i, t) in answered.iter().enumerate() {
        let login = login_of.get(&t.auditorium).with_context(|| format!("нет эксперта аудитории {} в расстановке", t.auditorium))?;
        let mut points = full.clone();
        // Most lose a point or two; the fifth answer is weak (one point).
        for (k, v) in points.values_mut().enumerate() {
            if i == 4 {
                *v = u8::from(k == 0);
            } else if (k + i) % 7 == 0 {
                *v = v.saturating_sub(1);
            }
        }
        let p = ParticipantId::from(t.participant_id.as_str());
        let protocol =
            oral::score(&mut conn, &oral::ScoreRequest { exam_id: &eid, ppe_code: &ppe, participant_id: &p, login, points: &points, at: &now })?;
        if protocol.score.passed {
            passed += 1;
        } else {
            failed += 1;
        }
    }
    let logins: Vec<&str> = login_of.values().map(String::as_str).collect();
    say(
        ctx,
        &format!(
            "{exam_id}: протоколы эксперта: {} (зачёт {passed}, незачёт {failed}), внесены экспертами своими учётными записями ({})",
            passed + failed,
            logins.join(", ")
        ),
    );
    Ok(())
}

/// The КЕГЭ: everyone at their workstation, one moved to a reserve one when theirs fails,
/// the archives saved by the workstations (one saves nothing) and taken in after the end.
async fn computer_day(ctx: &EdgeContext, exam: &Exam) -> anyhow::Result<()> {
    let exam_id = exam.exam_id.as_str();
    let start = exam.start_utc().context("начало экзамена")?;
    ctx.clock.sleep_until(start + Duration::minutes(5)).await;
    let seats = crate::seating::store::seat_assignments_for_exam(&*ctx.db()?, exam_id)?;
    {
        let mut conn = ctx.db()?;
        let now = ctx.clock.now_rfc3339();
        for s in &seats {
            attend(&mut conn, exam, &s.participant_id, EventKind::Present, at(exam, 0)?, &now)?;
        }
    }
    let conn = ctx.db()?;
    let day = crate::recordings::facts::exam_files(&conn, exam_id, &ctx.config.ppe_code)?;
    let rooms: std::collections::BTreeSet<&str> = day.seated.iter().map(|s| s.auditorium.as_str()).collect();
    say(
        ctx,
        &format!(
            "{exam_id}: {} участников за рабочими станциями в аудиториях {} (одно место — одна станция); явка полная",
            day.seated.len(),
            rooms.into_iter().collect::<Vec<_>>().join(", ")
        ),
    );
    // A workstation fails early on: its participant moves to the room's first reserve one.
    let mut moved = None;
    if let Some(s) = day.seated.get(2) {
        let room = day.rooms.iter().find(|a| a.auditorium == s.auditorium).context("аудитория участника")?;
        let reserve = crate::recordings::workstations::reserve_workstations(room, ctx.config.recordings.reserve_for(&room.auditorium));
        let reason = format!("отказ рабочей станции № {}", s.workstation);
        let r = crate::recordings::ops::MoveRequest {
            exam_id,
            ppe_code: &ctx.config.ppe_code,
            participant_id: &s.participant_id,
            to_workstation: *reserve.start(),
            reason: &reason,
            actor: TECH_LOGIN,
        };
        let m = crate::recordings::ops::move_workstation(&conn, &ctx.clock, &ctx.config.recordings, &r)?;
        say(
            ctx,
            &format!(
                "{exam_id}: {reason}: участник пересажен на резервную станцию № {} (ауд. {}), записано с причиной",
                m.to_workstation, m.auditorium
            ),
        );
        moved = Some((s.participant_id.clone(), m.to_workstation));
    }
    drop(conn);
    let plan = crate::plan::store::load_plan(&*ctx.db()?)?;
    let end = crate::day::schedule_here(&plan, exam, &ctx.config.ppe_code).context("окончание экзамена")?.end;
    ctx.clock.sleep_until(end).await;
    // The workstations' archives: one workstation saved nothing.
    let export = box_dir(ctx)?.join(STATION_DIR).join(exam_id);
    std::fs::create_dir_all(&export)?;
    let silent_station = day.seated.get(5).map(|s| s.participant_id.clone());
    for (i, s) in day.seated.iter().enumerate() {
        if Some(&s.participant_id) == silent_station.as_ref() {
            continue;
        }
        let ws = moved.as_ref().filter(|(p, _)| *p == s.participant_id).map_or(s.workstation, |(_, w)| *w);
        let name = format!("{}_{}_{ws}_{}.zip", ctx.config.ppe_code, s.auditorium, s.participant_id);
        crate::util::write_atomic(&export.join(name), &station::answer_archive(i)?)?;
    }
    let rows = taken_by_daemon(ctx, exam_id, day.seated.len() - usize::from(silent_station.is_some())).await?;
    let conn = ctx.db()?;
    let c = crate::recordings::facts::completeness_now(&conn, exam_id, &ctx.config.ppe_code)?;
    let (held, lines) = c.map(|(kind, c)| (format!("{} из {}", c.received, c.expected), c.lines_ru(kind))).unwrap_or_default();
    say(
        ctx,
        &format!(
            "{exam_id}: файлы ответов со станций: демон ППЭ взял из папки выгрузки {}, сопоставлено {}; файлов ответов {held}; {}",
            rows.len(),
            rows.iter().filter(|f| f.status == "matched").count(),
            if lines.is_empty() {
                "комплектность файлов полная".to_string()
            } else {
                format!("комплектность файлов НЕПОЛНАЯ: {}", lines.join("; "))
            }
        ),
    );
    Ok(())
}
