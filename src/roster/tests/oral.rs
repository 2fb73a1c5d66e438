//! The roster of oral exams both ways: an ИС-9 conducting room gets its собеседник and its
//! эксперт (an expert of the exam's subject only), a «Говорение» recording room its organizers
//! and a technical specialist each; a room short of one is named with the post.

use super::*;
use crate::model::Technology;

fn interview() -> Exam {
    Exam {
        exam_id: "is-9".into(),
        kind: ExamKind::Interview,
        level: 9,
        subject_code: "01".into(),
        subject_name: "Итоговое собеседование".into(),
        ..exam()
    }
}

fn speaking() -> Exam {
    Exam {
        exam_id: "ege-29".into(), subject_code: "29".into(), subject_name: "Английский язык (устная часть)".into(), ..exam()
    }
}

/// The point's day staff, organizers of no subject here, and `examiners` собеседники and
/// `experts` experts of subject 01.
fn oral_staff(examiners: usize, experts: usize, techs: usize) -> Vec<Worker> {
    use WorkerRole::*;
    let mut v = vec![
        worker("W1", &[Head], &[], ""),
        worker("W2", &[GekMember], &[], ""),
        worker("W3", &[GekMember], &[], ""),
        worker("W40", &[Medical], &[], ""),
    ];
    v.extend((0..techs).map(|i| worker(&format!("W5{i}"), &[TechSpecialist], &[], "")));
    v.extend((0..8).map(|i| worker(&format!("W6{i}"), &[OrganizerInRoom, OrganizerOutside], &["77"], "7002001")));
    v.extend((0..examiners).map(|i| worker(&format!("W7{i}"), &[Examiner], &[], "7001001")));
    v.extend((0..experts).map(|i| worker(&format!("W8{i}"), &[Expert], &["01"], "7001001")));
    v
}

fn oral_input<'a>(e: &'a Exam, w: &'a [Worker], a: &'a [WorkerAssignment], conducting: &[&str]) -> RosterInput<'a> {
    RosterInput { conducting_rooms: conducting.iter().map(|r| r.to_string()).collect(), ..input(e, w, a, &[("101", 12)]) }
}

#[test]
fn every_interview_room_gets_its_examiner_and_its_expert() {
    let e = interview();
    assert_eq!(e.technology(), Technology::OralInterview);
    let w = oral_staff(2, 2, 1);
    let a = day(&w);
    let roster = assign(&oral_input(&e, &w, &a, &["201", "202"]), &RosterRules::for_exam(&e), SEED);
    assert!(roster.is_complete(), "{:?}", roster.shortfalls);
    for room in ["201", "202"] {
        let held = |post: Post| roster.entries.iter().filter(|x| x.post == post).count();
        assert_eq!(held(Post::Examiner { auditorium: room.into() }), 1, "собеседник of {room}");
        assert_eq!(held(Post::Expert { auditorium: room.into() }), 1, "эксперт of {room}");
    }
    assert!(roster.entries.iter().filter(|x| matches!(x.post, Post::Expert { .. })).all(|x| x.worker_id.starts_with("W8")));
}

#[test]
fn a_room_without_an_expert_of_the_subject_is_named() {
    let e = interview();
    let mut w = oral_staff(2, 2, 1);
    // The second expert teaches another subject: not an expert of this exam.
    w.last_mut().unwrap().specializations = vec!["02".into()];
    let a = day(&w);
    let roster = assign(&oral_input(&e, &w, &a, &["201", "202"]), &RosterRules::for_exam(&e), SEED);
    assert_eq!(roster.shortfalls, vec![RosterShortfall::ConductingRoom { auditorium: "202".into(), post: "эксперт, ауд. 202".into() }]);
    assert!(roster.shortfalls[0].to_string().contains("аудитория проведения 202"), "{}", roster.shortfalls[0]);
    assert_eq!(expert_conflict(&w[w.len() - 1], &e), Some(PostConflict::ExpertNotInSubject { subject: "01".into() }));
    assert_eq!(expert_conflict(&w[w.len() - 2], &e), None);
}

#[test]
fn a_written_exam_has_no_conducting_posts() {
    let e = exam();
    let rules = RosterRules::for_exam(&e);
    assert!(conducting_room_posts(Technology::Written, "201", &rules).is_empty());
    assert!(conducting_room_posts(Technology::Computer, "201", &rules).is_empty());
    assert_eq!(tech_specialists_needed(Technology::Written, 3, &rules), 1);
}

#[test]
fn every_recording_room_has_organizers_and_a_technical_specialist() {
    let e = speaking();
    assert_eq!(e.technology(), Technology::OralRecorded);
    let rules = RosterRules::for_exam(&e);
    assert_eq!(tech_specialists_needed(Technology::OralRecorded, 2, &rules), 2);
    let w = oral_staff(0, 0, 2);
    let a = day(&w);
    let roster = assign(&oral_input(&e, &w, &a, &["201", "202"]), &rules, SEED);
    assert!(roster.is_complete(), "{:?}", roster.shortfalls);
    assert_eq!(roster.entries.iter().filter(|x| matches!(&x.post, Post::InRoom { auditorium, .. } if auditorium == "201")).count(), 2);
    let w = oral_staff(0, 0, 1);
    let a = day(&w);
    let roster = assign(&oral_input(&e, &w, &a, &["201", "202"]), &rules, SEED);
    assert_eq!(roster.shortfalls, vec![RosterShortfall::TechSpecialists { needed: 2, found: 1 }]);
}
