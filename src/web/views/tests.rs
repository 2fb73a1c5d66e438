//! Snapshots of every box page rendered from one fixed, filled exam day (a generated plan, a
//! fixed clock, numbers and records as plain data): what staff see, escaped by the templates.
//! `.config/insta.yaml` makes a changed snapshot fail instead of writing a file; to accept a
//! reviewed change run `INSTA_UPDATE=always cargo test --lib web::views` and read `git diff`.

use askama::Template;
use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::day::{BoxNumbers, ExamAlarmFacts, Progress};
use crate::model::{Plan, SeatAssignment};
use crate::monitoring::{AttendanceReport, MaterialsReport, PagesReport, Schedule, UploadReport};
use crate::web::access::Role;

struct Day {
    plan: Plan,
    ppe: String,
    exams: Vec<Exam>,
    exam: Exam,
    schedule: Schedule,
    /// Half an hour into the exam.
    now: DateTime<Utc>,
}

fn day() -> Day {
    let full = crate::demo::generate::generate_region(&crate::demo::generate::RegionParams { points: 1, participants: 12, ..Default::default() });
    let ppe = full.exam_points[0].ppe_code.clone();
    let plan = full.for_exam_point(&ppe);
    let exams = crate::day::exams_here(&plan, &ppe);
    let exam = exams[0].clone();
    // A point with an ОВЗ participant: the end and the deadline are the extended ones.
    let schedule = Schedule::at_point(&exam, None, [crate::monitoring::TimeNeed { admitted: true, extra_time: true }]).unwrap();
    Day { now: schedule.start + Duration::minutes(30), plan, ppe, exams, exam, schedule }
}

/// The technical specialist's page frame, with an alarm and a message.
fn layout(d: &Day, title: &'static str) -> Layout {
    let facts = ExamAlarmFacts { exam_id: d.exam.exam_id.as_str().into(), schedule: d.schedule, failed_print_jobs: 1, key_received: true, missing_pages_without_receipt: 0 };
    Layout {
        title,
        nav: crate::web::NAV.iter().filter(|(_, _, a)| crate::web::access::allowed(Role::Tech, *a)).map(|(p, t, _)| (*p, *t)).collect(),
        user: Some(User { login: "admin".into(), role: crate::model::WorkerRole::ALL[0].title_ru(), csrf: "csrf-token".into() }),
        alarms: crate::day::alarm_lines(vec![], &[facts], d.now),
        message: Some("готово <без разметки>".into()),
    }
}

fn numbers(d: &Day) -> BoxNumbers {
    BoxNumbers {
        exam_id: d.exam.exam_id.clone(),
        materials: MaterialsReport { pulled: true, verified: true, manifest_version: Some(3), key_received: true, printed: true },
        seating_done: true,
        attendance: AttendanceReport { planned: 12, present: 10, absent: 1, removed: 1, early: 0, closed: true },
        pages: PagesReport { expected: 31, scanned: 28, missing: 3 },
        upload: UploadReport { bytes_done: 1_000_000, bytes_total: 4_000_000, files_done: 10, files_total: 32, receipt_id: None },
        ..Default::default()
    }
}

/// The first auditorium's participants seated row by row.
fn seats(d: &Day) -> Vec<SeatAssignment> {
    let room = d.plan.auditoriums.iter().find(|a| a.ppe_code == d.ppe).unwrap();
    let ids: Vec<&str> = d.plan.registrations.iter().filter(|r| r.exam_id == d.exam.exam_id).map(|r| r.participant_id.as_str()).take(6).collect();
    ids.iter()
        .enumerate()
        .map(|(i, p)| SeatAssignment {
            exam_id: d.exam.exam_id.clone(),
            participant_id: p.to_string(),
            ppe_code: d.ppe.clone(),
            auditorium: room.auditorium.clone(),
            row: (i as u16 / room.columns) + 1,
            column: (i as u16 % room.columns) + 1,
            manual: i == 1,
        })
        .collect()
}

fn check(name: &str, view: impl Template) {
    insta::assert_snapshot!(name, view.render().unwrap());
}

#[test]
fn home_view() {
    let d = day();
    let progress = Progress { kits_issued: true, activated: true, roster_done: true };
    let exam = home::HomeExam::new(&d.exams, &d.exam, &d.schedule, numbers(&d), &progress, d.now);
    check("home", home::HomeView { layout: layout(&d, "План дня"), now_iso: crate::monitoring::time_text(d.now), speed: 1.0, ppe_code: d.ppe.clone(), now_text: crate::day::utc_time_text(d.now), no_plan: false, exam: Some(exam) });
}

#[test]
fn home_view_before_the_plan() {
    let d = day();
    check("home-no-plan", home::HomeView { layout: layout(&d, "План дня"), now_iso: crate::monitoring::time_text(d.now), speed: 60.0, ppe_code: d.ppe.clone(), now_text: crate::day::utc_time_text(d.now), no_plan: true, exam: None });
}

#[test]
fn no_plan_view() {
    let d = day();
    check("no-plan", NoPlanView::new(layout(&d, "Материалы")));
}

#[test]
fn materials_view() {
    let d = day();
    let files = vec![
        materials::PackageFile { name: "kim.pdf".into(), plain_len: 123_456, verified: true },
        materials::PackageFile { name: "audio <1>.mp3".into(), plain_len: 42, verified: false },
    ];
    check(
        "materials",
        materials::MaterialsView {
            layout: layout(&d, "Материалы"),
            select: ExamSelect::new(&d.exams, &d.exam.exam_id, "/materials"),
            exam_id: d.exam.exam_id.clone(),
            package: Some((3, files)),
            key_received: true,
            activated_by: None,
            window_opens: Some(crate::day::local_time_text(d.schedule.window_open, d.exam.utc_offset_min)),
            may_pull: true,
            may_activate: true,
        },
    );
}

#[test]
fn seating_view() {
    let d = day();
    let seats = seats(&d);
    check(
        "seating",
        seating::SeatingView {
            layout: layout(&d, "Рассадка"),
            select: ExamSelect::new(&d.exams, &d.exam.exam_id, "/seating"),
            exam_id: d.exam.exam_id.clone(),
            may_change: true,
            seated: true,
            rooms: seating::rooms_of(&d.plan, &d.ppe, &seats),
        },
    );
}

#[test]
fn roster_view() {
    let d = day();
    let w = &d.plan.workers;
    let posts = vec![
        roster::PostLine { post: crate::roster::Post::Head.title_ru().to_string(), worker_name: w[0].full_name(), worker_id: w[0].worker_id.clone() },
        roster::PostLine { post: crate::roster::Post::InRoom { auditorium: "0101".into(), responsible: true }.title_ru().to_string(), worker_name: w[1].full_name(), worker_id: w[1].worker_id.clone() },
    ];
    let replacement = crate::roster::Replacement {
        exam_id: d.exam.exam_id.clone(),
        post: crate::roster::Post::Outside { floor: 2 },
        absent_worker_id: w[2].worker_id.clone(),
        replacement_worker_id: w[3].worker_id.clone(),
        reason: "болезнь".into(),
        at: "2027-05-27T02:40:00Z".into(),
        decided_by: "head".into(),
    };
    check(
        "roster",
        roster::RosterView { layout: layout(&d, "Работники"), select: ExamSelect::new(&d.exams, &d.exam.exam_id, "/roster"), exam_id: d.exam.exam_id.clone(), may_change: true, posts, run: Some(crate::roster::store::RosterRun { seed: 42, posts: 2, reserve: 1, shortfalls: vec!["нет руководителя ППЭ".into()], at: "2027-05-27T01:10:00Z".into(), actor: "tech".into() }), replacements: vec![replacement] },
    );
}

#[test]
fn attendance_view() {
    use crate::attendance::{ParticipantState, Status};
    let d = day();
    let seats = seats(&d);
    let names = seating::participants_by_id(&d.plan);
    let states = [
        ParticipantState { status: Status::Unmarked, ..Default::default() },
        ParticipantState { status: Status::Present, late_at: Some("2027-05-27T03:10:00Z".into()), ..Default::default() },
        ParticipantState { status: Status::Present, out_of_room: true, ..Default::default() },
        ParticipantState { status: Status::Absent, ..Default::default() },
        ParticipantState { status: Status::Removed, ..Default::default() },
        ParticipantState { status: Status::FinishedEarly, ..Default::default() },
    ];
    let rows = seats
        .iter()
        .zip(states)
        .map(|(s, st)| attendance::ParticipantRow {
            seat: s.seat_label(),
            name: names[s.participant_id.as_str()].full_name(),
            participant_id: s.participant_id.clone(),
            badge: attendance::badge(st.status),
            status: st.status.title_ru(),
            buttons: attendance::event_buttons(&st),
            act: match st.status {
                Status::Removed => Some("ППЭ-21"),
                Status::FinishedEarly => Some("ППЭ-22"),
                _ => None,
            },
            late_at: st.late_at,
            out_of_room: st.out_of_room,
        })
        .collect();
    let mut select = ExamSelect::new(&d.exams, &d.exam.exam_id, "/attendance");
    select.with_rooms = true;
    select.rooms = vec![(seats[0].auditorium.clone(), true), ("0102".into(), false)];
    check(
        "attendance",
        attendance::AttendanceView {
            layout: layout(&d, "Явка и события"),
            select,
            exam_id: d.exam.exam_id.clone(),
            may_issue_kits: false,
            auditorium: Some(seats[0].auditorium.clone()),
            gek_members: vec![("G-1".into(), "Иванова Анна Петровна".into())],
            medical_workers: vec![("M-1".into(), "Лебедева Ольга Викторовна".into())],
            rows,
        },
    );
}

#[test]
fn print_view() {
    let d = day();
    let job = |id: i64, failed: bool, confirmed_by: Option<&str>| print::JobLine {
        print_job_id: id,
        document: format!("ППЭ-05-01 аудитория 0101 (№{id})"),
        auditorium: "0101".into(),
        pages: 2,
        failed,
        state: if failed { "aborted" } else { "completed" },
        confirmed_by: confirmed_by.map(str::to_string),
    };
    check(
        "print",
        print::PrintView {
            layout: layout(&d, "Печать"),
            select: ExamSelect::new(&d.exams, &d.exam.exam_id, "/print"),
            exam_id: d.exam.exam_id.clone(),
            printer: "cups-pdf".into(),
            jobs: vec![job(3, true, None), job(2, false, None), job(1, false, Some("head"))],
        },
    );
}

#[test]
fn scanning_view() {
    let d = day();
    check(
        "scanning",
        scanning::ScanningView {
            layout: layout(&d, "Сканирование"),
            select: ExamSelect::new(&d.exams, &d.exam.exam_id, "/scanning"),
            exam_id: d.exam.exam_id.clone(),
            pages: numbers(&d).pages,
            to_resolve_count: 1,
            attendance_closed: false,
            source: Some("папка сетевого сканера /srv/inbox (принимается и сама)".into()),
            missing: vec!["нет скана: участник P-1, бланк регистрации № 0000001".into()],
            to_resolve: vec![scanning::PageToResolve { page_id: "ab12".into(), reason: "код не прочитан", source: "inbox/scan 1.png".into() }],
            marks: vec![scanning::MarkToResolve {
                page_id: "cd34".into(),
                form: "ППЭ-12-04-МАШ".into(),
                page: 1,
                field: "row1.returned".into(),
                reason: "строка 1, время возвращения: на бланке 11:09, в журнале ППЭ 11:07 (место 1А)".into(),
                hint: "ЧЧ:ММ",
            }],
            may_assign: true,
            forms: Vec::new(),
        },
    );
}

#[test]
fn upload_view() {
    let d = day();
    let deadline = (crate::day::local_time_text(d.schedule.deadline, d.exam.utc_offset_min), (d.schedule.deadline - d.now).num_minutes());
    check(
        "upload",
        upload::UploadView {
            layout: layout(&d, "Выгрузка"),
            select: ExamSelect::new(&d.exams, &d.exam.exam_id, "/upload"),
            exam_id: d.exam.exam_id.clone(),
            deadline: Some(deadline),
            upload: numbers(&d).upload,
            running: true,
            estimate: Some(upload::Estimate { rate: "1.25".into(), done_at: crate::day::local_time_text(d.schedule.deadline + Duration::minutes(5), d.exam.utc_offset_min), late: true }),
            receipt: None,
            may_start: true,
        },
    );
}

#[test]
fn upload_view_with_the_receipt() {
    let d = day();
    let mut u = numbers(&d).upload;
    u.bytes_done = u.bytes_total;
    u.receipt_id = Some("feed".into());
    check(
        "upload-receipt",
        upload::UploadView {
            layout: layout(&d, "Выгрузка"),
            select: ExamSelect::new(&d.exams, &d.exam.exam_id, "/upload"),
            exam_id: d.exam.exam_id.clone(),
            deadline: Some(("27.05 15:55 (UTC+7)".into(), -5)),
            upload: u,
            running: false,
            estimate: None,
            receipt: Some(upload::ReceiptLine { file_count: 32, total_bytes: 4_000_000, received_at: "2027-05-27T08:10:00Z".into(), manifest_sha256: "feed".into() }),
            may_start: false,
        },
    );
}

#[test]
fn audit_view() {
    let d = day();
    let entry = |seq: i64, action: &str, object: &str| crate::audit::AuditEntry {
        seq,
        at: format!("2027-05-27T02:{:02}:00Z", seq),
        actor: "admin".into(),
        action: action.into(),
        object: object.into(),
        details: serde_json::json!({ "n": seq, "note": "<b>" }),
        prev_hash: String::new(),
        hash: String::new(),
    };
    check("audit", audit::AuditView { layout: layout(&d, "Журнал"), prefix: "attendance.".into(), head: "0f".repeat(32), entries: vec![entry(2, "attendance.present", "P-2"), entry(1, "attendance.kits", &d.exam.exam_id)] });
}

#[test]
fn desk_view() {
    let d = day();
    let movement = |n: u32, direction| crate::serial::Movement {
        exam_id: d.exam.exam_id.clone(),
        ppe_code: d.ppe.clone(),
        auditorium: "0101".into(),
        direction,
        sheet: crate::sheet_code::SheetId { exam_id: d.exam.exam_id.clone(), ppe_code: d.ppe.clone(), kind: crate::sheet_code::SheetKind::Registration, number: n },
        code: String::new(),
        at: format!("2027-05-27T02:3{n}:00Z"),
        actor: "admin".into(),
    };
    check(
        "desk",
        desk::DeskView {
            layout: layout(&d, "Штаб: выдача и возврат материалов"),
            exam_id: d.exam.exam_id.clone(),
            selection: Some(format!("{} — аудитория 0101 (выдача в аудиторию)", d.exam.exam_id)),
            serial_port: "/dev/ttyACM0".into(),
            movements: vec![movement(2, crate::serial::Direction::Return), movement(1, crate::serial::Direction::Issue)],
        },
    );
}

#[test]
fn accounts_view() {
    let d = day();
    check(
        "accounts",
        accounts::AccountsView {
            layout: layout(&d, "Учётные записи"),
            accounts: vec![accounts::AccountLine { login: "admin".into(), worker_id: "W1".into(), role: crate::model::WorkerRole::ALL[0].title_ru() }],
            roles: crate::model::WorkerRole::ALL.iter().map(|r| (r.code(), r.title_ru())).collect(),
        },
    );
}

#[test]
fn text_from_the_stores_is_escaped_in_every_template() {
    let d = day();
    let html = NoPlanView::new(Layout { alarms: vec!["<script>alert(1)</script>".into()], ..layout(&d, "Материалы") }).render().unwrap();
    assert!(html.contains("&#60;script&#62;") || html.contains("&lt;script&gt;"), "{html}");
    assert!(!html.contains("<script>alert"), "{html}");
}
