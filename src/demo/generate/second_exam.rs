//! The demo region's harder day: a second ЕГЭ on the first one's date at every point, with
//! its own participants and rooms (split from `generate.rs` to keep it under 600 lines).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;

/// The harder day: a second ЕГЭ on the first one's date at every point, with its own people
/// and rooms, drawn from a random stream of its own.
pub(super) fn second_exam_of_the_day(plan: &mut Plan, p: &RegionParams, schools: &[School], docs: &mut std::collections::HashSet<(String, String)>) {
    let mut rng = ChaCha8Rng::seed_from_u64(p.seed ^ 0x5ea7_da70);
    let date = p.exam_date;
    plan.exams.push(Exam {
        exam_id: EGE_BASE_EXAM_ID.into(),
        kind: ExamKind::Ege,
        level: 11,
        subject_code: "22".into(),
        subject_name: "Математика (базовый уровень)".into(),
        date: date.format("%Y.%m.%d").to_string(),
        start: "10:00".into(),
        duration_min: 180,
        materials_open_before_min: 60,
        materials_close_after_start_min: 30,
        upload_deadline_after_end_min: 60,
        utc_offset_min: p.utc_offset_min,
        kim_print: Default::default(),
        technology: None,
        materials_open_at: String::new(),
        documents_open_at: String::new(),
        upload_due_at: String::new(),
        kit: String::new(),
    });
    let points: Vec<String> = plan.exam_points.iter().map(|e| e.ppe_code.clone()).collect();
    let per_point = (p.participants / 6).div_ceil(points.len()).max(3);
    let mut next_id = p.participants;
    for (k, ppe_code) in points.iter().enumerate() {
        // Rooms: enough with video for this exam, and one without (the ОГЭ's only).
        let floor = 9u8;
        let with_video = (per_point + per_point / 5).div_ceil(15);
        for a in 0..=with_video {
            plan.auditoriums.push(Auditorium {
                ppe_code: ppe_code.clone(),
                auditorium: format!("{floor}{:02}", a + 1),
                rows: 5,
                columns: 3,
                capacity: 15,
                special_needs: false,
                video: a < with_video,
                oral: false,
                reserve: false,
                unusable_seats: String::new(),
                floor,
                room_kind: None,
            });
        }
        let local: Vec<&School> = plan
            .exam_points
            .get(k)
            .map(|point| schools.iter().filter(|s| format!("70{:02}", s.ate + 1) == point.ate_code).collect())
            .unwrap_or_default();
        for j in 0..per_point {
            next_id += 1;
            let school = local.get(rng.gen_range(0..local.len().max(1))).copied().or(schools.first());
            let sex = if rng.gen_bool(0.5) { Sex::Male } else { Sex::Female };
            let (sm, sf) = pick(&mut rng, SURNAMES);
            let (pm, pf) = pick(&mut rng, PATRONYMICS);
            let (surname, name, patronymic) = match sex {
                Sex::Male => (*sm, *pick(&mut rng, MALE_NAMES), *pm),
                Sex::Female => (*sf, *pick(&mut rng, FEMALE_NAMES), *pf),
            };
            // At point 0: the first has extra time only, the second finished school years ago.
            let (extra_time_only, graduate) = (k == 0 && j == 0, k == 0 && j == 1);
            let age = if graduate { 20 } else { 17 };
            let birth = NaiveDate::from_ymd_opt(date.year() - age - 1, 1, 1).unwrap_or_default() + Duration::days(rng.gen_range(150..515));
            let (series, number) = loop {
                let year = birth.year() + 14 + rng.gen_range(0..2);
                let d = passport(&mut rng, 69, year);
                if docs.insert(d.clone()) {
                    break d;
                }
            };
            let participant_id = format!("P{next_id:07}");
            plan.participants.push(Participant {
                participant_id: participant_id.clone(),
                surname: surname.into(),
                name: name.into(),
                patronymic: patronymic.into(),
                sex,
                birth_date: birth.format("%Y.%m.%d").to_string(),
                phone: phone(&mut rng),
                citizenship: "Российская Федерация".into(),
                snils: snils(&mut rng),
                doc_type: DocType::PassportRf,
                doc_series: series,
                doc_number: number,
                school_code: if graduate { String::new() } else { school.map(|s| s.code.clone()).unwrap_or_default() },
                school_name: if graduate { String::new() } else { school.map(|s| s.name.clone()).unwrap_or_default() },
                class: if graduate { String::new() } else { format!("11{}", pick(&mut rng, &["А", "Б", "В", "Г"])) },
                study_form: "очная".into(),
                category: if graduate { PAST_GRADUATE } else { "обучающийся" }.into(),
                health: if extra_time_only { HealthCategory::Ovz } else { HealthCategory::None },
                conditions: SpecialConditions { extra_time: extra_time_only, ..SpecialConditions::default() },
                admitted: true,
            });
            plan.registrations.push(Registration { exam_id: EGE_BASE_EXAM_ID.into(), participant_id, ppe_code: ppe_code.clone() });
        }
    }
}
