//! The exam point's forms (ППЭ-06-01, 06-02, 07, 08, 10, 13-02-МАШ, 14-01, 14-02, 19, 02, 03)
//! rendered from a filled day — long names, two schools, an observer, a worker replacement, a
//! medical event, an appeal — and read as a person would: `pdftotext -layout` finds every
//! header and value whole, the PDF's geometry finds signature boxes ≥ 35 × 8 mm, every page
//! prints the form's code and «лист N из M». In-process (the layouts are pure); the appeal's
//! print through the real binary.

use std::collections::HashMap;

use ppe::attendance::{EventKind, ExamEvent};
use ppe::demo::print_fixtures::{demo_day, demo_numbers, demo_seating};
use ppe::model::{Exam, Plan, SeatAssignment, WorkerRole};
use ppe::printing::inputs::{appeal_form_needs, sheet_needs, DayRecord, MaterialsReceived, PrintContext};
use ppe::printing::{PrintDocument, PrintWhat};
use ppe::roster::{Post, RosterEntry};
use ppe::sheet_code::{SheetId, SheetKind};

use crate::common::{ppe, stderr, stdout};
use crate::formcheck::{assert_signatures, assert_whole, text_layout};

const LONG_SURNAME: &str = "Константинопольская-Преображенская";
const LONG_NAME: &str = "Константинопольская-Преображенская Александра-Мария Владимировна";
const LONG_SCHOOL: &str =
    "Муниципальное бюджетное общеобразовательное учреждение «Средняя общеобразовательная школа № 12 имени Героя Советского Союза»";
const OTHER_SCHOOL: &str = "Лицей № 3";
const LONG_SCHOOL_CODE: &str = "770012";
const OTHER_SCHOOL_CODE: &str = "770003";
const OBSERVER: &str = "Наблюдательная Ольга Сергеевна";
const APPEAL_TEXT: &str = "Во время экзамена организатор в аудитории громко разговаривал по мобильному телефону и мешал выполнять задания";
const FINDINGS: &str = "Опрошены организаторы аудитории, просмотрена запись видеонаблюдения: разговор подтверждён";

struct Filled {
    plan: Plan,
    exam: Exam,
    ppe_code: String,
    seats: Vec<SeatAssignment>,
    numbers: HashMap<String, Vec<u32>>,
    day: DayRecord,
}

fn worker_name(plan: &Plan, id: &str) -> String {
    plan.workers.iter().find(|w| w.worker_id == id).map(|w| w.full_name()).unwrap()
}

/// A generated point's ЕГЭ day with every kind of entry the point's forms show.
fn filled_day() -> Filled {
    let mut plan = ppe::demo::generate::generate_region(&ppe::demo::generate::RegionParams { points: 1, participants: 40, ..Default::default() });
    let exam = plan.exams.iter().find(|e| e.exam_id == "ege-02").cloned().unwrap();
    let ppe_code = plan.registrations.iter().find(|r| r.exam_id == exam.exam_id).map(|r| r.ppe_code.clone()).unwrap();
    let seats = demo_seating(&plan, &exam.exam_id, &ppe_code);
    assert!(seats.len() >= 12, "{}", seats.len());
    // Two schools: the first half from a school with a long name, the rest from a lyceum.
    for (i, s) in seats.iter().enumerate() {
        let p = plan.participants.iter_mut().find(|p| p.participant_id == s.participant_id).unwrap();
        (p.school_code, p.school_name, p.class) = if i < seats.len() / 2 {
            ("770012".into(), LONG_SCHOOL.into(), "11А".into())
        } else {
            ("770003".into(), OTHER_SCHOOL.into(), "11Б".into())
        };
        if i == 0 {
            (p.surname, p.name, p.patronymic) = (LONG_SURNAME.into(), "Александра-Мария".into(), "Владимировна".into());
        }
    }
    // A public observer accredited for the point on the day.
    let mut observer = plan.observers.first().cloned().unwrap_or_else(|| sample_observer());
    (observer.observer_id, observer.surname, observer.name, observer.patronymic) =
        ("O-17".into(), "Наблюдательная".into(), "Ольга".into(), "Сергеевна".into());
    observer.certificate_number = "ОН-2027-0017".into();
    observer.accrediting_body = "Министерство образования области".into();
    plan.observers.push(observer);
    plan.observer_assignments.push(ppe::model::ObserverAssignment {
        observer_id: "O-17".into(),
        ppe_code: ppe_code.clone(),
        date: exam.date.clone(),
    });

    let appeal = ppe::appeals::Appeal {
        appeal_id: 1,
        exam_id: exam.exam_id.clone(),
        ppe_code: ppe_code.clone(),
        participant_id: seats[2].participant_id.clone(),
        filed_at: at(&exam, 200),
        text: APPEAL_TEXT.into(),
        gek_worker_id: String::new(),
        actor: "gek".into(),
        review: None,
    };
    let kit = ppe::model::kit::kit_of(&exam).unwrap();
    let mut needs = sheet_needs(exam.technology(), &kit, &seats, PrintWhat::All, None);
    needs.extend(appeal_form_needs(std::slice::from_ref(&appeal)));
    let numbers = demo_numbers(&needs);
    let mut day = demo_day(&plan, &exam, &seats, &numbers);
    // The acts' numbers follow the day's events (given out after the others, so those stay).
    needs.extend(ppe::printing::inputs::act_needs(&day, &seats, None, None));
    let numbers = demo_numbers(&needs);

    // The roster: head, two ГЭК members, the medical worker, two organizers per auditorium.
    let on_day: Vec<&ppe::model::Worker> = plan
        .workers
        .iter()
        .filter(|w| plan.worker_assignments.iter().any(|a| a.worker_id == w.worker_id && a.ppe_code == ppe_code && a.date == exam.date))
        .collect();
    let with = |role: WorkerRole| on_day.iter().filter(move |w| w.roles.contains(&role)).map(|w| w.worker_id.clone());
    let mut roster: Vec<RosterEntry> = Vec::new();
    roster.extend(with(WorkerRole::Head).take(1).map(|w| RosterEntry { worker_id: w, post: Post::Head }));
    roster.extend(with(WorkerRole::GekMember).take(2).map(|w| RosterEntry { worker_id: w, post: Post::GekMember }));
    roster.extend(with(WorkerRole::Medical).take(1).map(|w| RosterEntry { worker_id: w, post: Post::Medical }));
    let mut rooms: Vec<String> = seats.iter().map(|s| s.auditorium.clone()).collect();
    rooms.dedup();
    let mut organizers = with(WorkerRole::OrganizerInRoom);
    for room in &rooms {
        for responsible in [true, false] {
            if let Some(w) = organizers.next() {
                roster.push(RosterEntry { worker_id: w, post: Post::InRoom { auditorium: room.clone(), responsible } });
            }
        }
    }
    assert!(roster.iter().any(|e| e.post == Post::Head) && roster.iter().filter(|e| e.post == Post::GekMember).count() >= 1, "{roster:?}");
    let gek = roster.iter().find(|e| e.post == Post::GekMember).unwrap().worker_id.clone();
    day.roster = roster;
    // A leave to the medical room and back (seat 7), beside the early finish the medical worker confirmed (seat 0).
    for (kind, minutes, reason) in [(EventKind::Left, 90, "медпункт: головная боль"), (EventKind::Returned, 101, "")] {
        day.events.push(ExamEvent {
            exam_id: exam.exam_id.clone(),
            participant_id: seats[7].participant_id.clone(),
            kind,
            at: at(&exam, minutes),
            reason: reason.into(),
            gek_worker_id: String::new(),
            medical_worker_id: String::new(),
            actor: "organizer".into(),
        });
    }
    let mut appeal = appeal;
    appeal.gek_worker_id = gek.clone();
    appeal.review = Some(ppe::appeals::Review {
        reviewed_at: at(&exam, 230),
        gek_worker_id: gek.clone(),
        findings: FINDINGS.into(),
        upheld: true,
        actor: "gek".into(),
    });
    day.appeals = vec![appeal];
    day.materials =
        Some(MaterialsReceived { package_id: "pkg-ege-02-v3".into(), files: 3, kim_variants: 2, activated_by: gek, activated_at: at(&exam, -30) });
    Filled { plan, exam, ppe_code, seats, numbers, day }
}

fn sample_observer() -> ppe::model::Observer {
    ppe::model::Observer {
        observer_id: String::new(),
        surname: String::new(),
        name: String::new(),
        patronymic: String::new(),
        sex: ppe::model::Sex::Female,
        birth_year: 1970,
        phone: String::new(),
        email: String::new(),
        doc_type: ppe::model::DocType::Other,
        doc_series: String::new(),
        doc_number: "D17".into(),
        accrediting_body: String::new(),
        certificate_number: String::new(),
    }
}

fn at(exam: &Exam, minutes: i64) -> String {
    (exam.start_utc().unwrap() + chrono::Duration::minutes(minutes)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A form's page size in mm (width, height) from its first page's MediaBox.
fn page_size_mm(pdf: &[u8]) -> (f32, f32) {
    let doc = lopdf::Document::load_mem(pdf).unwrap();
    let (_, page) = doc.get_pages().into_iter().next().unwrap();
    let media = doc.get_dictionary(page).unwrap().get(b"MediaBox").unwrap().as_array().unwrap().clone();
    let n = |o: &lopdf::Object| o.as_float().or_else(|_| o.as_i64().map(|i| i as f32)).unwrap() * 25.4 / 72.0;
    (n(&media[2]) - n(&media[0]), n(&media[3]) - n(&media[1]))
}

/// Each page of the form names itself «ФОРМА · лист N из M» and prints its own sheet number
/// under its code: page i the i-th number reserved for `holder`.
fn assert_pages_coded(f: &Filled, doc: &PrintDocument, text: &str, holder: &str) {
    let pages: Vec<&str> = text.split('\u{c}').filter(|p| !p.trim().is_empty()).collect();
    assert_eq!(pages.len(), doc.pages as usize, "{}", doc.file_name);
    let numbers = &f.numbers[holder];
    for (i, page) in pages.iter().enumerate() {
        assert!(page.contains(&format!("{} · лист ", doc.form)), "{} page {}: no «лист N из M»:\n{page}", doc.file_name, i + 1);
        let id = SheetId { exam_id: f.exam.exam_id.clone(), ppe_code: f.ppe_code.clone(), kind: SheetKind::Statement, number: numbers[i] };
        let printed = ppe::printing::pdf::sheet_number_text(&id);
        assert!(page.contains(&printed), "{} page {}: no sheet number {printed}:\n{page}", doc.file_name, i + 1);
    }
}

#[test]
fn every_point_form_of_a_filled_day_has_whole_headers_and_values_signable_boxes_and_a_code_on_every_page() {
    let f = filled_day();
    let key = ppe::sheet_code::sheet_key(b"pointforms");
    let context = PrintContext { plan: &f.plan, exam: &f.exam, ppe_code: &f.ppe_code, seats: &f.seats, numbers: &f.numbers, key: &key, day: &f.day };
    let set = context.build(PrintWhat::All, None).unwrap();
    let doc = |name: &str| {
        set.documents
            .iter()
            .find(|d| d.file_name == name)
            .unwrap_or_else(|| panic!("{name} not printed: {:?}", set.documents.iter().map(|d| &d.file_name).collect::<Vec<_>>()))
    };
    let header = [f.exam.subject_name.as_str(), f.exam.date.as_str(), f.ppe_code.as_str()];
    let roster_name = |post: &Post| worker_name(&f.plan, &f.day.roster.iter().find(|e| &e.post == post).unwrap().worker_id);
    let head = roster_name(&Post::Head);
    let gek = roster_name(&Post::GekMember);
    let medical = worker_name(&f.plan, &f.day.events.iter().find(|e| e.kind == EventKind::FinishedEarly).unwrap().medical_worker_id);
    let replaced = &f.day.replacements[0];
    let room = f.seats[0].auditorium.clone();
    let responsible = roster_name(&Post::InRoom { auditorium: room.clone(), responsible: true });
    let removed_reason = f.day.events.iter().find(|e| e.kind == EventKind::Removed).unwrap().reason.clone();

    // (file, holder, landscape, minimum signature boxes, what must be whole)
    let checks: Vec<(&str, &str, bool, usize, Vec<String>)> = vec![
        (
            "ppe-06-01.pdf",
            "form:ППЭ-06-01",
            false,
            4,
            vec![
                "Список участников экзамена образовательной организации".into(),
                LONG_SCHOOL.into(),
                OTHER_SCHOOL.into(),
                LONG_NAME.into(),
                "Фамилия, имя, отчество".into(),
                "Документ, удостоверяющий личность (серия, номер)".into(),
                "Класс".into(),
                "11А".into(),
                "Сопровождающий".into(),
            ],
        ),
        (
            "ppe-06-02.pdf",
            "form:ППЭ-06-02",
            false,
            1,
            vec![
                "Список участников экзамена в ППЭ по алфавиту".into(),
                LONG_NAME.into(),
                "Код ОО".into(),
                "770012".into(),
                "Аудитория".into(),
                "Место".into(),
            ],
        ),
        (
            "ppe-07.pdf",
            "form:ППЭ-07",
            true,
            1,
            vec![
                "Список работников ППЭ и общественных наблюдателей".into(),
                "Место работы в ППЭ".into(),
                "Должность в ППЭ".into(),
                "Основное место работы".into(),
                "Подпись".into(),
                head.clone(),
                gek.clone(),
                responsible.clone(),
                format!("аудитория {room}"),
                "ответственный организатор в аудитории".into(),
                "штаб ППЭ".into(),
                OBSERVER.into(),
                "общественный наблюдатель".into(),
                "ОН-2027-0017".into(),
            ],
        ),
        (
            "ppe-08.pdf",
            "form:ППЭ-08",
            true,
            1,
            vec![
                "Журнал учёта участников экзамена, обратившихся к медицинскому работнику".into(),
                LONG_NAME.into(),
                medical.clone(),
                "медпункт: головная боль".into(),
                "Причина обращения (жалобы)".into(),
                "Оказанная помощь, принятые меры".into(),
                "Составлен акт о досрочном завершении (ППЭ-22)".into(),
                "Подпись участника экзамена".into(),
                "вернулся в аудиторию в".into(),
            ],
        ),
        (
            "ppe-10.pdf",
            "form:ППЭ-10",
            false,
            2,
            vec![
                "Отчёт члена ГЭК о проведении экзамена в ППЭ".into(),
                gek.clone(),
                head.clone(),
                "Удаление участника (ППЭ-21)".into(),
                removed_reason,
                "Досрочное завершение (ППЭ-22)".into(),
                "Апелляция № 1 (ППЭ-02)".into(),
                "изложенные в апелляции факты подтвердились".into(),
                LONG_NAME.into(),
                "Технические сбои".into(),
                "Отметка члена ГЭК".into(),
                "1 / 1 / 1".into(),
            ],
        ),
        (
            "ppe-13-02-mash.pdf",
            "form:ППЭ-13-02-МАШ",
            true,
            3,
            vec![
                "Сводная ведомость учёта участников и использования экзаменационных материалов в ППЭ".into(),
                "Распределено участников (по списку ППЭ-05-01)".into(),
                "Явились на экзамен".into(),
                "Не закончили по объективным причинам (ППЭ-22)".into(),
                "Испорчено, с браком (заменено)".into(),
                "Выдано ДБО № 2".into(),
                head.clone(),
                gek.clone(),
                "Итого".into(),
            ],
        ),
        (
            "ppe-14-01.pdf",
            "form:ППЭ-14-01",
            false,
            3,
            vec![
                "Акт приёмки-передачи экзаменационных материалов в ППЭ".into(),
                "Наименование экзаменационных материалов".into(),
                "Количество по данным ППЭ".into(),
                "pkg-ege-02-v3".into(),
                "Возвратные доставочные пакеты для аудиторий".into(),
                "Член ГЭК (передал)".into(),
                "Руководитель ППЭ (принял)".into(),
                gek.clone(),
                head.clone(),
            ],
        ),
        (
            "ppe-14-02.pdf",
            "form:ППЭ-14-02",
            true,
            1,
            vec![
                "Ведомость выдачи и возврата экзаменационных материалов по аудиториям ППЭ".into(),
                "Организатор в аудитории (ФИО)".into(),
                "Подпись получившего".into(),
                "Подпись сдавшего".into(),
                "Подпись принявшего (руководитель ППЭ)".into(),
                "Время возврата".into(),
                responsible.clone(),
            ],
        ),
        (
            "ppe-19.pdf",
            "form:ППЭ-19",
            true,
            2,
            vec![
                "Контроль изменения состава работников ППЭ в день экзамена".into(),
                "ФИО работника, которого заменили (не явился, отстранён)".into(),
                "ФИО работника, назначенного на замену".into(),
                "Подпись назначенного работника".into(),
                worker_name(&f.plan, &replaced.absent_worker_id),
                worker_name(&f.plan, &replaced.replacement_worker_id),
                "болезнь".into(),
            ],
        ),
        (
            "ppe-02-1.pdf",
            "form:ППЭ-02:",
            false,
            3,
            vec![
                "Апелляция о нарушении установленного порядка проведения ГИА".into(),
                APPEAL_TEXT.into(),
                gek.clone(),
                "апелляцию удовлетворить".into(),
            ],
        ),
        (
            "ppe-03-1.pdf",
            "form:ППЭ-03:",
            false,
            3,
            vec![
                "Протокол рассмотрения апелляции о нарушении установленного порядка проведения ГИА".into(),
                FINDINGS.into(),
                "изложенные в апелляции факты подтвердились".into(),
                gek.clone(),
            ],
        ),
    ];
    for (file, holder, landscape, signatures, whole) in &checks {
        let d = doc(file);
        let text = text_layout(&d.bytes);
        if let Ok(dir) = std::env::var("PPE_FORMCHECK_DUMP") {
            std::fs::write(format!("{dir}/{file}"), &d.bytes).unwrap();
        }
        let mut expected: Vec<&str> = whole.iter().map(String::as_str).collect();
        expected.extend(header);
        assert_whole(&text, &expected);
        assert_signatures(&d.bytes, *signatures);
        let (w, h) = page_size_mm(&d.bytes);
        assert_eq!(w > h, *landscape, "{file}: {w:.0} × {h:.0} mm");
        let holder = if holder.ends_with(':') { format!("{holder}{}", f.seats[2].participant_id) } else { holder.to_string() };
        assert_pages_coded(&f, d, &text, &holder);
    }
    // ППЭ-06-01: one list per school, each on its own pages, numbered on its own.
    let by_school = text_layout(&doc("ppe-06-01.pdf").bytes);
    let pages: Vec<&str> = by_school.split('\u{c}').filter(|p| !p.trim().is_empty()).collect();
    let school_of =
        |page: &str| [LONG_SCHOOL_CODE, OTHER_SCHOOL_CODE].into_iter().filter(|code| page.contains(&format!("(код {code})"))).collect::<Vec<_>>();
    let mut previous = "";
    for page in &pages {
        let school = school_of(page);
        assert_eq!(school.len(), 1, "each page is one school's list:\n{page}");
        if school[0] != previous {
            assert!(page.contains("ППЭ-06-01 · лист 1 из"), "each school's list starts its own numbering:\n{page}");
            previous = school[0];
        }
    }
    assert!(pages.iter().any(|p| school_of(p) == [OTHER_SCHOOL_CODE]) && pages.iter().any(|p| school_of(p) == [LONG_SCHOOL_CODE]), "{by_school}");
    // ППЭ-07: the observer is listed after the workers, the auditorium's organizers together.
    let workers = text_layout(&doc("ppe-07.pdf").bytes);
    assert!(
        workers.find(OBSERVER.split(' ').next().unwrap()).unwrap() > workers.find(&responsible.split(' ').next().unwrap().to_string()).unwrap(),
        "{workers}"
    );
}

#[test]
fn point_forms_printed_alone_do_not_reach_beyond_their_reserved_numbers() {
    let f = filled_day();
    let key = ppe::sheet_code::sheet_key(b"pointforms");
    let mut numbers = f.numbers.clone();
    numbers.insert("form:ППЭ-06-02".into(), vec![9000]);
    let many: Vec<SeatAssignment> = (0..4).flat_map(|_| f.seats.clone()).collect();
    let context = PrintContext { plan: &f.plan, exam: &f.exam, ppe_code: &f.ppe_code, seats: &many, numbers: &numbers, key: &key, day: &f.day };
    let err = context.point_lists().err().expect("a two-page list with one number reserved is refused");
    assert!(err.to_string().contains("ППЭ-06-02") && err.to_string().contains("номеров листов выделено 1"), "{err}");
}

#[test]
fn an_appeal_and_its_review_print_from_the_cli_with_the_same_codes_on_a_reprint() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("box");
    let config = crate::appeals::seated_box(&dir);
    let c = config.to_str().unwrap();
    let p = crate::appeals::participants(1);
    let o = ppe(&["edge", "attendance", "--config", c, "--exam", "ege-02", "--participant", &p[0], "--event", "present"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = ppe(&["edge", "appeal", "--config", c, "file", "--exam", "ege-02", "--participant", &p[0], "--gek", "W000002", "--text", APPEAL_TEXT]);
    assert!(o.status.success(), "{}", stderr(&o));
    let print = |out: &str| ppe(&["edge", "print", "--config", c, "--exam", "ege-02", "--appeal", "1", "--out", dir.join(out).to_str().unwrap()]);
    let o = print("first");
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    let filed = text_layout(&std::fs::read(dir.join("first/ppe-02-1.pdf")).unwrap());
    assert_whole(&filed, &["Апелляция о нарушении установленного порядка проведения ГИА", APPEAL_TEXT]);
    let unreviewed = text_layout(&std::fs::read(dir.join("first/ppe-03-1.pdf")).unwrap());
    assert!(unreviewed.contains("Проверка проведена ____"), "not reviewed yet: the time is left to write:\n{unreviewed}");

    let o = ppe(&["edge", "appeal", "--config", c, "review", "--appeal", "1", "--gek", "W000002", "--findings", FINDINGS, "--upheld"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = print("second");
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    let reviewed = text_layout(&std::fs::read(dir.join("second/ppe-03-1.pdf")).unwrap());
    assert_whole(&reviewed, &[FINDINGS]);
    assert!(!reviewed.contains("Проверка проведена ____"), "{reviewed}");
    let number = |text: &str| text.split_whitespace().skip_while(|w| *w != "S").nth(2).map(str::to_string);
    assert!(number(&filed).is_some(), "a sheet number under the code:\n{filed}");
    let again = text_layout(&std::fs::read(dir.join("second/ppe-02-1.pdf")).unwrap());
    assert_eq!(number(&filed), number(&again), "a reprint carries the same sheet code");
    assert_signatures(&std::fs::read(dir.join("second/ppe-03-1.pdf")).unwrap(), 3);

    let o = ppe(&["edge", "print", "--config", c, "--exam", "ege-02", "--appeal", "7", "--out", dir.join("none").to_str().unwrap()]);
    assert!(!o.status.success() && stderr(&o).contains("апелляции № 7"), "{}", stderr(&o));
}
