//! The oral pages: the steps a turn offers, the planned times, and snapshots of the queue and
//! protocol pages filled by hand (in the style of `views::tests`).

use askama::Template;

use super::protocols::{task_blocks, Entered, ProtocolRow, ProtocolsView};
use super::*;
use crate::web::views::{ExamOption, User};

fn turn(id: &str, room: &str, position: u32, state: TurnState) -> Turn {
    Turn { participant_id: id.into(), auditorium: room.into(), position, state, late: false, moved_from: Vec::new() }
}

fn exam() -> Exam {
    let plan = crate::demo::generate::generate_region(&crate::demo::generate::RegionParams { points: 1, participants: 4, ..Default::default() });
    let mut exam = plan.exams[0].clone();
    exam.kind = crate::model::ExamKind::Interview;
    exam.subject_code = "01".into();
    exam.date = "2027.02.14".into();
    exam.start = "09:00".into();
    exam.utc_offset_min = 420;
    exam
}

#[test]
fn a_turn_offers_only_the_steps_that_may_follow_it() {
    let kinds = |t: &Turn, busy| step_buttons(t, busy).iter().map(|b| b.kind).collect::<Vec<_>>();
    assert_eq!(kinds(&turn("A", "102", 1, TurnState::Waiting), false), ["start", "absent", "late"]);
    assert_eq!(kinds(&turn("A", "102", 1, TurnState::Waiting), true), ["absent", "late"], "no start while another answers");
    assert_eq!(kinds(&turn("A", "102", 1, TurnState::Answering { started_at: "t".into() }), false), ["finish"]);
    assert_eq!(kinds(&turn("A", "102", 1, TurnState::Absent), false), ["late"]);
    assert!(kinds(&turn("A", "102", 1, TurnState::Done { started_at: "a".into(), finished_at: "b".into() }), false).is_empty());
}

#[test]
fn planned_starts_follow_the_current_turn_and_each_turns_minutes() {
    let e = exam();
    assert_eq!(e.technology(), Technology::OralInterview);
    let turns = vec![
        turn("A", "102", 1, TurnState::Done { started_at: "2027-02-14T02:00:00Z".into(), finished_at: "2027-02-14T02:20:00Z".into() }),
        turn("B", "102", 2, TurnState::Waiting),
        turn("C", "102", 3, TurnState::Waiting),
        turn("D", "103", 1, TurnState::Waiting),
        turn("E", "104", 1, TurnState::Waiting),
        turn("F", "104", 2, TurnState::Answering { started_at: "2027-02-14T02:10:00Z".into() }),
    ];
    let planned = planned_starts(&turns, &e, |id| id == "B");
    let hm = |id: &str| local_hm(&planned[id].to_rfc3339(), e.utc_offset_min);
    // Room 102 runs 5 minutes behind: B at A's end (09:20 local), C after B's 15 + 30 minutes.
    assert_eq!((hm("B"), hm("C")), ("09:20".to_string(), "10:05".to_string()));
    // Room 103 has not started: its first at the exam's start.
    assert_eq!(hm("D"), "09:00");
    assert!(!planned.contains_key("A"), "a done turn has no planned start");
    // Room 104: F, moved up and answering since 09:10, goes first; E after F's 15 minutes.
    assert_eq!((hm("F"), hm("E")), ("09:10".to_string(), "09:25".to_string()));
}

fn layout(title: &'static str) -> Layout {
    Layout {
        title,
        nav: vec![("/", "План дня"), ("/oral", "Устный экзамен")],
        user: Some(User { login: "examiner1".into(), role: crate::model::WorkerRole::Examiner.title_ru(), csrf: "csrf-token".into() }),
        alarms: Vec::new(),
        message: Some("участник P2: опоздал <без разметки>".into()),
    }
}

fn select(path: &'static str) -> ExamSelect {
    ExamSelect {
        path,
        options: vec![ExamOption { exam_id: "is-9".into(), label: "Итоговое собеседование, 2027.02.14".into(), selected: true }],
        rooms: Vec::new(),
        with_rooms: false,
    }
}

#[test]
fn the_queue_page() {
    let row = |position, id: &str, state: &TurnState, planned: &str, started: &str, finished: &str, busy| TurnRow {
        position,
        participant_id: id.into(),
        name: format!("Участник {id}"),
        state: state.title_ru(),
        badge: badge(state),
        late: id == "P4",
        moved_from: if id == "P5" { "103".into() } else { String::new() },
        planned: planned.into(),
        started: started.into(),
        finished: finished.into(),
        buttons: step_buttons(&turn(id, "102", position, state.clone()), busy),
        movable: *state == TurnState::Waiting,
    };
    let answering = TurnState::Answering { started_at: "2027-02-14T02:16:00Z".into() };
    let view = OralView {
        layout: layout("Устный экзамен: очереди"),
        select: select("/oral"),
        exam_id: "is-9".into(),
        note: None,
        technology: Technology::OralInterview.title_ru(),
        rooms: vec![
            RoomLine {
                auditorium: "102".into(),
                answering: Some("Участник P2".into()),
                next: Some("Участник P5".into()),
                waiting: 2,
                done: 1,
                absent: 0,
                run: true,
                selected: true,
            },
            RoomLine {
                auditorium: "103".into(),
                answering: None,
                next: Some("Участник P6".into()),
                waiting: 1,
                done: 0,
                absent: 1,
                run: false,
                selected: false,
            },
        ],
        may_build: false,
        room: Some("102".into()),
        rows: vec![
            row(1, "P1", &TurnState::Done { started_at: "a".into(), finished_at: "b".into() }, "—", "09:00", "09:15", true),
            row(2, "P2", &answering, "09:16", "09:16", "", true),
            row(3, "P5", &TurnState::Waiting, "09:31", "", "", true),
            row(4, "P4", &TurnState::Waiting, "09:46", "", "", true),
        ],
        run: true,
        other_rooms: vec!["103".into()],
        may_print: false,
        may_protocols: false,
        waiting: vec![("P5".into(), "Участник P5".into(), "102".into()), ("P6".into(), "Участник P6".into(), "103".into())],
    };
    insta::assert_snapshot!("oral-queue", view.render().unwrap());
}

#[test]
fn the_protocols_page() {
    let full: BTreeMap<String, u8> = crate::oral::CURRENT.criteria().map(|c| (c.code.to_string(), c.max)).collect();
    let score = crate::oral::criteria::score(&crate::oral::CURRENT, &full, Default::default()).unwrap();
    let protocol = crate::oral::Protocol {
        exam_id: "is-9".into(),
        ppe_code: "0101".into(),
        participant_id: "P1".into(),
        auditorium: "102".into(),
        expert_worker_id: "W900001".into(),
        expert_login: "expert1".into(),
        scale: crate::oral::CURRENT.version.into(),
        score,
        scored_at: "2027-02-14T02:20:00Z".into(),
    };
    let mut draft = BTreeMap::new();
    draft.insert("ИЧ".to_string(), 1u8);
    let row = |id: &str| ProtocolRow {
        participant_id: id.into(),
        name: format!("Участник {id}"),
        state: "ответил",
        pass_points: 10,
        entered: None,
        form: None,
        draft_total: None,
        draft_error: None,
    };
    let view = ProtocolsView {
        layout: Layout { message: None, ..layout("Протоколы эксперта (ИС-9)") },
        select: select("/oral/protocols"),
        exam_id: "is-9".into(),
        note: None,
        rooms: vec![("102".into(), true)],
        room: Some("102".into()),
        max_points: crate::oral::CURRENT.max_points(),
        rows: vec![
            ProtocolRow { entered: Some(Entered::of(&protocol, 420)), ..row("P1") },
            ProtocolRow { form: Some(task_blocks(Some(&draft))), draft_total: Some("1 из 20 — незачёт".into()), ..row("P2") },
            ProtocolRow { state: "ожидает", ..row("P3") },
        ],
    };
    insta::assert_snapshot!("oral-protocols", view.render().unwrap());
}
