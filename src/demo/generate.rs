//! A deterministic generator of a plausible region: АТЕ, schools, exam points with 10–20
//! auditoriums, participants with realistic Russian names and valid SNILS and passports
//! (~3 % with special conditions), workers with specializations, a ЕГЭ and an ОГЭ the next
//! day; then the harder day: a second ЕГЭ on the first one's date at every point (математика
//! базовая, 180 min beside профильная's 235: their times overlap, so separate rooms) with its
//! own participants (a sixth more, among them at point 0 one with extra time only and a
//! graduate of past years without a school) and rooms (one of them without video: the ОГЭ
//! may use it, a ЕГЭ never). The second exam draws from its own random stream, so the rest of
//! the region is what it always was. Pure: the same parameters give the same plan, byte for
//! byte.

use chrono::{Datelike, Duration, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::model::*;
use crate::validate::format_snils;

mod second_exam;
use second_exam::second_exam_of_the_day;

#[derive(Debug, Clone)]
pub struct RegionParams {
    pub points: usize,
    pub participants: usize,
    pub seed: u64,
    /// Date of the two ЕГЭ; the ОГЭ is the next day.
    pub exam_date: NaiveDate,
    pub utc_offset_min: i32,
}

impl Default for RegionParams {
    fn default() -> Self {
        Self {
            points: 3,
            participants: 600,
            seed: 1,
            exam_date: NaiveDate::from_ymd_opt(2027, 5, 27).unwrap_or_default(),
            utc_offset_min: 420,
        }
    }
}

const ATE: &[&str] = &[
    "Город Томск", "ЗАТО Северск", "Город Стрежевой", "Город Кедровый", "Томский район", "Асиновский район",
    "Колпашевский район", "Каргасокский район", "Кожевниковский район", "Шегарский район", "Зырянский район",
    "Молчановский район", "Первомайский район", "Тегульдетский район", "Чаинский район", "Бакчарский район",
    "Верхнекетский район", "Кривошеинский район", "Парабельский район", "Александровский район",
];
const TOWNS: &[&str] = &[
    "г. Томск", "г. Северск", "г. Стрежевой", "г. Кедровый", "с. Богашёво", "г. Асино", "г. Колпашево", "с. Каргасок",
    "с. Кожевниково", "с. Мельниково", "с. Зырянское", "с. Молчаново", "с. Первомайское", "п. Тегульдет", "с. Подгорное",
    "с. Бакчар", "п. Белый Яр", "с. Кривошеино", "с. Парабель", "с. Александровское",
];
const STREETS: &[&str] = &[
    "ул. Ленина", "ул. Советская", "ул. Школьная", "пр. Мира", "ул. Гагарина", "ул. Кирова", "ул. Садовая",
    "ул. Комсомольская", "ул. Пушкина", "ул. Молодёжная", "ул. Лесная", "ул. Набережная",
];
const SURNAMES: &[(&str, &str)] = &[
    ("Иванов", "Иванова"), ("Смирнов", "Смирнова"), ("Кузнецов", "Кузнецова"), ("Попов", "Попова"), ("Васильев", "Васильева"),
    ("Петров", "Петрова"), ("Соколов", "Соколова"), ("Михайлов", "Михайлова"), ("Новиков", "Новикова"), ("Фёдоров", "Фёдорова"),
    ("Морозов", "Морозова"), ("Волков", "Волкова"), ("Алексеев", "Алексеева"), ("Лебедев", "Лебедева"), ("Семёнов", "Семёнова"),
    ("Егоров", "Егорова"), ("Павлов", "Павлова"), ("Козлов", "Козлова"), ("Степанов", "Степанова"), ("Николаев", "Николаева"),
    ("Орлов", "Орлова"), ("Андреев", "Андреева"), ("Макаров", "Макарова"), ("Никитин", "Никитина"), ("Захаров", "Захарова"),
    ("Зайцев", "Зайцева"), ("Соловьёв", "Соловьёва"), ("Борисов", "Борисова"), ("Яковлев", "Яковлева"), ("Григорьев", "Григорьева"),
    ("Романов", "Романова"), ("Воробьёв", "Воробьёва"), ("Сергеев", "Сергеева"), ("Кузьмин", "Кузьмина"), ("Фролов", "Фролова"),
    ("Александров", "Александрова"), ("Дмитриев", "Дмитриева"), ("Королёв", "Королёва"), ("Гусев", "Гусева"), ("Киселёв", "Киселёва"),
    ("Ильин", "Ильина"), ("Максимов", "Максимова"), ("Поляков", "Полякова"), ("Сорокин", "Сорокина"), ("Виноградов", "Виноградова"),
    ("Ковалёв", "Ковалёва"), ("Белов", "Белова"), ("Медведев", "Медведева"), ("Антонов", "Антонова"), ("Тарасов", "Тарасова"),
    ("Жуков", "Жукова"), ("Баранов", "Баранова"), ("Филиппов", "Филиппова"), ("Комаров", "Комарова"), ("Давыдов", "Давыдова"),
    ("Беляев", "Беляева"), ("Герасимов", "Герасимова"), ("Богданов", "Богданова"), ("Осипов", "Осипова"), ("Сидоров", "Сидорова"),
    ("Ёлкин", "Ёлкина"), ("Римский-Корсаков", "Римская-Корсакова"), ("Шевчук", "Шевчук"), ("Ким", "Ким"), ("Черных", "Черных"),
];
const MALE_NAMES: &[&str] = &[
    "Александр", "Максим", "Михаил", "Артём", "Даниил", "Иван", "Дмитрий", "Кирилл", "Андрей", "Егор", "Никита", "Илья",
    "Алексей", "Матвей", "Тимофей", "Роман", "Владимир", "Ярослав", "Фёдор", "Георгий", "Константин", "Лев", "Николай",
    "Степан", "Марк", "Павел", "Арсений", "Денис", "Сергей", "Глеб",
];
const FEMALE_NAMES: &[&str] = &[
    "Анастасия", "Мария", "Анна", "Виктория", "Екатерина", "Наталья", "Марина", "Полина", "София", "Дарья", "Алиса",
    "Ксения", "Александра", "Елена", "Варвара", "Вероника", "Арина", "Ольга", "Татьяна", "Ульяна", "Юлия", "Ева",
    "Милана", "Валерия", "Кира", "Алёна", "Елизавета", "Маргарита", "Злата", "Василиса",
];
/// Fathers' names with the male and female patronymic.
const PATRONYMICS: &[(&str, &str)] = &[
    ("Александрович", "Александровна"), ("Сергеевич", "Сергеевна"), ("Дмитриевич", "Дмитриевна"), ("Андреевич", "Андреевна"),
    ("Алексеевич", "Алексеевна"), ("Иванович", "Ивановна"), ("Михайлович", "Михайловна"), ("Владимирович", "Владимировна"),
    ("Николаевич", "Николаевна"), ("Евгеньевич", "Евгеньевна"), ("Олегович", "Олеговна"), ("Викторович", "Викторовна"),
    ("Юрьевич", "Юрьевна"), ("Павлович", "Павловна"), ("Игоревич", "Игоревна"), ("Романович", "Романовна"),
    ("Константинович", "Константиновна"), ("Ильич", "Ильинична"), ("Никитич", "Никитична"), ("Фомич", "Фоминична"),
];
/// Subject codes and names used for specializations (codes as in ФИС ГИА).
const SUBJECTS: &[(&str, &str)] = &[
    ("01", "Русский язык"), ("02", "Математика"), ("03", "Физика"), ("04", "Химия"), ("05", "Информатика"),
    ("06", "Биология"), ("07", "История"), ("08", "География"), ("09", "Английский язык"), ("12", "Обществознание"),
    ("18", "Литература"),
];
const POSITIONS: &[&str] = &["учитель", "педагог-организатор", "заместитель директора", "методист", "социальный педагог", "библиотекарь", "педагог дополнительного образования"];

struct School {
    code: String,
    name: String,
    ate: usize,
}

pub const EGE_EXAM_ID: &str = "ege-02";
/// The second ЕГЭ of the same day (математика базовая, 180 min).
pub const EGE_BASE_EXAM_ID: &str = "ege-22";
pub const OGE_EXAM_ID: &str = "oge-01";
/// The category of a graduate of past years (order 805 §11.3: no school, no class).
pub const PAST_GRADUATE: &str = "выпускник прошлых лет";

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[rng.gen_range(0..items.len())]
}

fn passport(rng: &mut ChaCha8Rng, region: u32, issued_year: i32) -> (String, String) {
    (format!("{region:02}{:02}", issued_year.rem_euclid(100)), format!("{:06}", rng.gen_range(100_000..1_000_000)))
}

fn snils(rng: &mut ChaCha8Rng) -> String {
    let mut d = [0u8; 9];
    for x in d.iter_mut() {
        *x = rng.gen_range(0..10);
    }
    d[0] = rng.gen_range(1..10);
    format_snils(&d)
}

fn phone(rng: &mut ChaCha8Rng) -> String {
    format!("+7 (9{:02}) {:03}-{:02}-{:02}", rng.gen_range(0..100), rng.gen_range(0..1000), rng.gen_range(0..100), rng.gen_range(0..100))
}

/// Generates the region.
pub fn generate_region(p: &RegionParams) -> Plan {
    let mut rng = ChaCha8Rng::seed_from_u64(p.seed);
    let mut plan = Plan::default();
    let ege_date = p.exam_date;
    let oge_date = p.exam_date + Duration::days(1);
    plan.exams.push(Exam {
        exam_id: EGE_EXAM_ID.into(),
        kind: ExamKind::Ege,
        level: 11,
        subject_code: "02".into(),
        subject_name: "Математика (профильный уровень)".into(),
        date: ege_date.format("%Y.%m.%d").to_string(),
        start: "10:00".into(),
        duration_min: 235,
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
    plan.exams.push(Exam {
        exam_id: OGE_EXAM_ID.into(),
        kind: ExamKind::Oge,
        level: 9,
        subject_code: "01".into(),
        subject_name: "Русский язык".into(),
        date: oge_date.format("%Y.%m.%d").to_string(),
        start: "10:00".into(),
        duration_min: 235,
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

    let points = p.points.max(1);
    let ate_count = ATE.len().min(points.div_ceil(5).max(1));
    // Schools: about one per 60 participants, at least two per АТЕ so spreading matters.
    let school_count = (p.participants / 60).max(ate_count * 2);
    let schools: Vec<School> = (0..school_count)
        .map(|i| {
            let ate = i % ate_count;
            let kind = pick(&mut rng, &["МАОУ СОШ", "МБОУ СОШ", "МАОУ Гимназия", "МАОУ Лицей", "МБОУ ООШ"]);
            School { code: format!("70{:02}{:03}", ate + 1, i / ate_count + 1), name: format!("{kind} {} {}", i / ate_count + 1, TOWNS[ate % TOWNS.len()]), ate }
        })
        .collect();

    // Exam points with auditoriums.
    for i in 0..points {
        let ate = i % ate_count;
        let code = format!("{:04}", 100 * (ate + 1) + i / ate_count + 1);
        plan.exam_points.push(ExamPoint {
            ppe_code: code.clone(),
            name: format!("МАОУ СОШ {} {}", 30 + i, TOWNS[ate % TOWNS.len()]),
            address: format!("{}, {}, д. {}", TOWNS[ate % TOWNS.len()], pick(&mut rng, STREETS), rng.gen_range(1..120)),
            ate_code: format!("70{:02}", ate + 1),
            ate_name: ATE[ate].into(),
            point_type: Default::default(),
            utc_offset_min: Some(p.utc_offset_min),
        });
        // Auditoriums sized for the participants of one exam day at this point.
        let expected = p.participants.div_ceil(points).div_ceil(2).max(10);
        let mut count = rng.gen_range(10..=20usize);
        while count * 15 < expected + expected / 5 + 24 {
            count += 1;
        }
        for a in 0..count {
            let floor = (a / 6 + 1) as u8;
            let rows: u16 = rng.gen_range(5..=6);
            let columns: u16 = 3;
            let special = a == 0 || a == 1;
            let unusable = if rng.gen_bool(0.2) { seat_label(rows, columns) } else { String::new() };
            let grid = rows * columns - u16::from(!unusable.is_empty());
            let capacity = if special { grid.min(12) } else { grid.min(15 + rng.gen_range(0..=3)) };
            plan.auditoriums.push(Auditorium {
                ppe_code: code.clone(),
                auditorium: format!("{}{:02}", floor, a % 6 + 1),
                rows,
                columns,
                capacity,
                special_needs: special,
                video: true,
                oral: a == 2,
                reserve: a + 1 == count,
                unusable_seats: unusable,
                floor,
                room_kind: None,
            });
        }
    }

    // Participants, each registered at an exam point of their АТЕ.
    let points_by_ate: Vec<Vec<usize>> = (0..ate_count).map(|a| (0..points).filter(|i| i % ate_count == a).collect()).collect();
    let mut load = vec![[0usize; 2]; points];
    let mut docs = std::collections::HashSet::new();
    for i in 0..p.participants {
        let level11 = i % 2 == 0;
        let school = &schools[rng.gen_range(0..schools.len())];
        let candidates = &points_by_ate[school.ate];
        let exam_slot = usize::from(!level11);
        let point = *candidates.iter().min_by_key(|&&c| load[c][exam_slot]).unwrap_or(&0);
        load[point][exam_slot] += 1;
        let sex = if rng.gen_bool(0.5) { Sex::Male } else { Sex::Female };
        let (sm, sf) = pick(&mut rng, SURNAMES);
        let (pm, pf) = pick(&mut rng, PATRONYMICS);
        let (surname, name, patronymic) = match sex {
            Sex::Male => (*sm, *pick(&mut rng, MALE_NAMES), *pm),
            Sex::Female => (*sf, *pick(&mut rng, FEMALE_NAMES), *pf),
        };
        let exam_date = if level11 { ege_date } else { oge_date };
        let age = if level11 { 17 } else { 15 };
        let birth = NaiveDate::from_ymd_opt(exam_date.year() - age - 1, 1, 1).unwrap_or_default() + Duration::days(rng.gen_range(150..515));
        let (series, number) = loop {
            let year = birth.year() + 14 + rng.gen_range(0..2);
            let d = passport(&mut rng, 69, year);
            if docs.insert(d.clone()) {
                break d;
            }
        };
        let special = rng.gen_bool(0.03);
        let conditions = if special {
            let braille = rng.gen_bool(0.1);
            SpecialConditions {
                extra_time: true,
                separate_room: rng.gen_bool(0.3),
                large_print: !braille && rng.gen_bool(0.3),
                assistant: rng.gen_bool(0.3),
                braille,
                computer: rng.gen_bool(0.1),
            }
        } else {
            SpecialConditions::default()
        };
        let participant_id = format!("P{:07}", i + 1);
        plan.participants.push(Participant {
            participant_id: participant_id.clone(),
            surname: surname.into(),
            name: name.into(),
            patronymic: if rng.gen_bool(0.97) { patronymic.into() } else { String::new() },
            sex,
            birth_date: birth.format("%Y.%m.%d").to_string(),
            phone: if rng.gen_bool(0.8) { phone(&mut rng) } else { String::new() },
            citizenship: "Российская Федерация".into(),
            snils: if rng.gen_bool(0.95) { snils(&mut rng) } else { String::new() },
            doc_type: DocType::PassportRf,
            doc_series: series,
            doc_number: number,
            school_code: school.code.clone(),
            school_name: school.name.clone(),
            class: format!("{}{}", if level11 { 11 } else { 9 }, pick(&mut rng, &["А", "Б", "В", "Г"])),
            study_form: "очная".into(),
            category: "обучающийся".into(),
            health: if special { *pick(&mut rng, &[HealthCategory::Ovz, HealthCategory::DisabledChild]) } else { HealthCategory::None },
            conditions,
            admitted: true,
        });
        plan.registrations.push(Registration {
            exam_id: if level11 { EGE_EXAM_ID } else { OGE_EXAM_ID }.into(),
            participant_id,
            ppe_code: plan.exam_points[point].ppe_code.clone(),
        });
    }

    second_exam_of_the_day(&mut plan, p, &schools, &mut docs);
    generate_workers(&mut plan, &mut rng, &schools, ate_count, &mut docs);
    plan
}

/// The workers section of the region: every exam point gets the staff its days need so that
/// the roster rules hold with the regulation's defaults (DOMAIN.md §3) — the head, two ГЭК
/// members, technical specialists and a medical worker for the whole day; organizers sized
/// from the point's rooms and the exams of each date (two per auditorium each exam may use,
/// one post per worker per day, three of them in reserve); outside organizers for every floor
/// of every exam; an assistant for each participant who needs one. Organizers and assistants
/// teach at schools with no participant at the point (or at a primary school) and specialize
/// in no subject examined there.
fn generate_workers(
    plan: &mut Plan,
    rng: &mut ChaCha8Rng,
    schools: &[School],
    ate_count: usize,
    docs: &mut std::collections::HashSet<(String, String)>,
) {
    let mut worker_no = 0usize;
    let mut workers = Vec::new();
    let mut assignments = Vec::new();
    for (i, point) in plan.exam_points.iter().enumerate() {
        let ate = i % ate_count;
        let rooms: Vec<&Auditorium> = plan.auditoriums.iter().filter(|a| a.ppe_code == point.ppe_code).collect();
        let usable_rooms = rooms.iter().filter(|a| !a.reserve).count().max(1);
        let floors = rooms.iter().map(|a| a.floor).collect::<std::collections::BTreeSet<_>>().len().max(1);
        let here: Vec<&Registration> = plan.registrations.iter().filter(|r| r.ppe_code == point.ppe_code).collect();
        let exams_here: Vec<&Exam> = plan.exams.iter().filter(|e| here.iter().any(|r| r.exam_id == e.exam_id)).collect();
        let mut dates: Vec<&str> = exams_here.iter().map(|e| e.date.as_str()).collect();
        if dates.is_empty() {
            dates = plan.exams.iter().map(|e| e.date.as_str()).collect();
        }
        dates.sort_unstable();
        dates.dedup();
        let needs_assistant: std::collections::HashSet<&str> =
            plan.participants.iter().filter(|p| p.conditions.assistant).map(|p| p.participant_id.as_str()).collect();
        // (organizers in rooms, outside, assistants) the busiest date needs.
        let (mut in_rooms, mut outside, mut assistants) = (0usize, 0usize, 0usize);
        for date in &dates {
            let (mut a, mut b, mut c) = (0, 0, 0);
            for exam in exams_here.iter().filter(|e| e.date == *date) {
                let seated: Vec<&&Registration> = here.iter().filter(|r| r.exam_id == exam.exam_id).collect();
                // Rooms hold at least 12 (special-needs rooms) or 14; two special rooms extra.
                a += 2 * usable_rooms.min(seated.len().div_ceil(12) + 2);
                b += floors;
                c += seated.iter().filter(|r| needs_assistant.contains(r.participant_id.as_str())).count();
            }
            (in_rooms, outside, assistants) = (in_rooms.max(a), outside.max(b), assistants.max(c));
        }
        let mut posts: Vec<WorkerRole> = vec![
            WorkerRole::Head,
            WorkerRole::GekMember,
            WorkerRole::GekMember,
            WorkerRole::TechSpecialist,
            WorkerRole::TechSpecialist,
            WorkerRole::Medical,
        ];
        posts.extend(std::iter::repeat_n(WorkerRole::OrganizerInRoom, in_rooms + 3));
        posts.extend(std::iter::repeat_n(WorkerRole::OrganizerOutside, outside.max(1)));
        posts.extend(std::iter::repeat_n(WorkerRole::Assistant, assistants));
        let local_schools: Vec<&School> = schools.iter().filter(|s| s.ate == ate).collect();
        // Schools whose participants sit here: their teachers may not organize here.
        let sitting_here: std::collections::HashSet<&str> =
            plan.participants.iter().filter(|p| here.iter().any(|r| r.participant_id == p.participant_id)).map(|p| p.school_code.as_str()).collect();
        let town = TOWNS[ate % TOWNS.len()];
        let mut elsewhere: Vec<(String, String)> =
            local_schools.iter().filter(|s| !sitting_here.contains(s.code.as_str())).map(|s| (s.code.clone(), s.name.clone())).collect();
        elsewhere.extend((1..=2).map(|k| (format!("70{:02}9{k:02}", ate + 1), format!("МБОУ НОШ {k} {town}"))));
        let examined: std::collections::HashSet<&str> = exams_here.iter().map(|e| e.subject_code.as_str()).collect();
        for (k, role) in posts.iter().enumerate() {
            worker_no += 1;
            let female = rng.gen_bool(0.8);
            let (sm, sf) = pick(rng, SURNAMES);
            let (pm, pf) = pick(rng, PATRONYMICS);
            let (surname, name, patronymic) = if female { (*sf, *pick(rng, FEMALE_NAMES), *pf) } else { (*sm, *pick(rng, MALE_NAMES), *pm) };
            let birth_year = rng.gen_range(1960..=2000);
            let (series, number) = loop {
                let year = birth_year + 20 + rng.gen_range(0..20);
                let d = passport(rng, 69, year);
                if docs.insert(d.clone()) {
                    break d;
                }
            };
            let organizes = matches!(role, WorkerRole::OrganizerInRoom | WorkerRole::OrganizerOutside | WorkerRole::Assistant);
            let school = local_schools.get(rng.gen_range(0..local_schools.len().max(1))).copied();
            let teaches = *role != WorkerRole::Medical && (organizes || rng.gen_bool(0.3));
            let (mut spec, _) = *pick(rng, SUBJECTS);
            let (workplace, school_code) = if organizes {
                let (code, name) = &elsewhere[rng.gen_range(0..elsewhere.len())];
                // Never a specialist in a subject examined at this point.
                let drawn = spec;
                spec = SUBJECTS
                    .iter()
                    .map(|s| s.0)
                    .cycle()
                    .skip_while(|s| *s != drawn)
                    .take(SUBJECTS.len())
                    .find(|s| !examined.contains(s))
                    .unwrap_or("");
                (name.clone(), code.clone())
            } else if *role == WorkerRole::Medical {
                (format!("ОГАУЗ Больница {town}"), String::new())
            } else {
                (
                    school.map(|s| s.name.clone()).unwrap_or_else(|| "Департамент общего образования".into()),
                    if teaches { school.map(|s| s.code.clone()).unwrap_or_default() } else { String::new() },
                )
            };
            let specializations: Vec<String> = if teaches && !spec.is_empty() { vec![spec.to_string()] } else { Vec::new() };
            let mut roles = vec![*role];
            if *role == WorkerRole::OrganizerInRoom {
                roles.push(WorkerRole::OrganizerOutside);
            }
            let (phone_number, snils_number) = (phone(rng), snils(rng));
            let position = match role {
                WorkerRole::GekMember => "член ГЭК".to_string(),
                WorkerRole::Medical => "медицинская сестра".to_string(),
                _ => (*pick(rng, POSITIONS)).to_string(),
            };
            let worker_id = format!("W{worker_no:06}");
            workers.push(Worker {
                worker_id: worker_id.clone(),
                surname: surname.into(),
                name: name.into(),
                patronymic: patronymic.into(),
                birth_year: birth_year as u16,
                phone: phone_number,
                email: format!("w{worker_no}@edu.example.ru"),
                snils: snils_number,
                doc_type: DocType::PassportRf,
                doc_series: series,
                doc_number: number,
                workplace,
                workplace_school_code: school_code,
                position,
                forbidden_subjects: specializations.clone(),
                specializations,
                roles,
            });
            // The last three organizers of each point are the reserve.
            let reserve = *role == WorkerRole::OrganizerInRoom && posts[k + 1..].iter().filter(|r| **r == WorkerRole::OrganizerInRoom).count() < 3;
            for date in &dates {
                assignments.push(WorkerAssignment {
                    worker_id: worker_id.clone(),
                    ppe_code: point.ppe_code.clone(),
                    date: date.to_string(),
                    reserve,
                });
            }
        }
    }
    plan.workers.extend(workers);
    plan.worker_assignments.extend(assignments);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_region_passes_flk_and_is_deterministic() {
        let params = RegionParams { points: 4, participants: 800, ..RegionParams::default() };
        let a = generate_region(&params);
        assert_eq!(a, generate_region(&params));
        let tables = crate::plan::to_tables(&a);
        let checked = crate::validate::check_plan(&tables).unwrap_or_else(|issues| panic!("{:#?}", &issues[..issues.len().min(10)]));
        assert_eq!(checked, a);
        let special = a.participants.iter().filter(|p| p.conditions.any()).count();
        assert!((5..=60).contains(&special), "~3 % with special conditions, got {special}");
        for point in &a.exam_points {
            let rooms = a.auditoriums.iter().filter(|r| r.ppe_code == point.ppe_code).count();
            assert!((10..=40).contains(&rooms));
        }
        let other = generate_region(&RegionParams { seed: 2, ..params });
        assert_ne!(a.participants[0], other.participants[0]);
    }

    #[test]
    fn every_point_seats_everybody_of_its_days() {
        for params in [
            RegionParams { points: 5, participants: 3000, ..RegionParams::default() },
            RegionParams { points: 1, participants: 80, ..RegionParams::default() },
        ] {
            let plan = generate_region(&params);
            for point in &plan.exam_points {
                let rooms: Vec<Auditorium> = plan.auditoriums.iter().filter(|a| a.ppe_code == point.ppe_code).cloned().collect();
                let exams: Vec<crate::seating::day::DayExam> = plan
                    .exams
                    .iter()
                    .map(|e| {
                        let ids: Vec<&str> = plan
                            .registrations
                            .iter()
                            .filter(|r| r.ppe_code == point.ppe_code && r.exam_id == e.exam_id)
                            .map(|r| r.participant_id.as_str())
                            .collect();
                        crate::seating::day::DayExam {
                            exam: e.clone(),
                            participants: plan.participants.iter().filter(|p| ids.contains(&p.participant_id.as_str())).cloned().collect(),
                        }
                    })
                    .collect();
                for (exam_id, result) in
                    crate::seating::day::seat_day(&point.ppe_code, &rooms, &exams, crate::seating::SeatingRules::default(), &|_| 1)
                {
                    let s = result.unwrap_or_else(|e| panic!("{} {exam_id}: {e}", point.ppe_code));
                    let n = exams.iter().find(|d| d.exam.exam_id == exam_id).map(|d| d.participants.len()).unwrap_or_default();
                    assert_eq!(s.seats.len(), n, "{} {exam_id}", point.ppe_code);
                }
            }
        }
    }

    #[test]
    fn the_first_point_has_the_harder_day() {
        let plan = generate_region(&RegionParams { points: 1, participants: 80, ..RegionParams::default() });
        let (a, b) =
            (plan.exams.iter().find(|e| e.exam_id == EGE_EXAM_ID).unwrap(), plan.exams.iter().find(|e| e.exam_id == EGE_BASE_EXAM_ID).unwrap());
        assert_eq!(a.date, b.date);
        assert_ne!(a.duration_min, b.duration_min);
        assert!(crate::seating::day::overlap(a, b));
        let of = |exam_id: &str| -> Vec<&Participant> {
            let ids: Vec<&str> = plan.registrations.iter().filter(|r| r.exam_id == exam_id).map(|r| r.participant_id.as_str()).collect();
            plan.participants.iter().filter(|p| ids.contains(&p.participant_id.as_str())).collect()
        };
        let extra_only = SpecialConditions { extra_time: true, ..SpecialConditions::default() };
        assert!(of(EGE_BASE_EXAM_ID).iter().any(|p| p.conditions == extra_only), "a participant with extra time only");
        assert!(of(EGE_BASE_EXAM_ID).iter().any(|p| p.category == PAST_GRADUATE && p.school_code.is_empty()), "a graduate of past years");
        assert!(plan.auditoriums.iter().any(|a| !a.video) && plan.auditoriums.iter().any(|a| a.video));
    }
}
