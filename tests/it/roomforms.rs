//! The auditorium's forms (ППЭ-05-01, 05-02, the БР, 12-02, 20, 21, 22, 11) rendered from a
//! filled day — a very long name, a late arrival, a removal, an early finish, a kit
//! replacement, two КИМ variants, an identity confirmed by the escort — and judged as a person
//! would: `pdftotext -layout` shows every header and value whole (no «…»), the PDF's geometry
//! shows signature boxes ≥ 35 × 8 mm, each page carries "лист N из M" and a sheet code whose
//! number is the one reserved for the form. The identity confirmation runs through the real
//! binary (`edge attendance --escort`, `edge print --act-for`).

use std::collections::HashMap;

use ppe::attendance::identity::{store::confirmations_for_exam, IdentityConfirmation};
use ppe::demo::print_fixtures::{demo_day, demo_numbers, demo_seating};
use ppe::model::kit::kit_of;
use ppe::model::{Plan, WorkerRole};
use ppe::printing::inputs::{act_needs, sheet_needs, PrintContext};
use ppe::printing::PrintWhat;

use super::formcheck::{assert_signatures, assert_whole, text_layout};

const LONG_SURNAME: &str = "Константинопольская-Преображенская";
const LONG_NAME: &str = "Александра-Мария";
const LONG_PATRONYMIC: &str = "Владимировна";

fn region() -> (Plan, String) {
    let mut plan = ppe::demo::generate::generate_region(&ppe::demo::generate::RegionParams { points: 1, participants: 14, ..Default::default() });
    let ppe_code = plan.registrations.iter().find(|r| r.exam_id == "ege-02").map(|r| r.ppe_code.clone()).unwrap();
    // The first seated participant (demo seating sorts by id) gets the longest name.
    let mut ids: Vec<String> =
        plan.registrations.iter().filter(|r| r.exam_id == "ege-02" && r.ppe_code == ppe_code).map(|r| r.participant_id.clone()).collect();
    ids.sort();
    let p = plan.participants.iter_mut().find(|p| p.participant_id == ids[0]).unwrap();
    (p.surname, p.name, p.patronymic) = (LONG_SURNAME.into(), LONG_NAME.into(), LONG_PATRONYMIC.into());
    (plan, ppe_code)
}

fn gek_of(plan: &Plan, ppe_code: &str, date: &str) -> String {
    plan.workers_with_role_at(ppe_code, date, WorkerRole::GekMember).first().expect("a ГЭК member at the point").worker_id.clone()
}

#[test]
fn every_auditorium_form_of_a_filled_day_is_whole_signable_and_coded() {
    let (plan, ppe_code) = region();
    let exam = plan.exams.iter().find(|e| e.exam_id == "ege-02").unwrap().clone();
    let seats = demo_seating(&plan, &exam.exam_id, &ppe_code);
    let kit = kit_of(&exam).unwrap();
    let mut needs = sheet_needs(exam.technology(), &kit, &seats, PrintWhat::All, None);
    let mut day = demo_day(&plan, &exam, &seats, &demo_numbers(&needs));
    // Seat 6 came without a passport; the escort from the school confirmed who they are.
    let escort = "Петрова-Водкина Елизавета Александровна";
    day.identities.push(IdentityConfirmation {
        exam_id: exam.exam_id.clone(),
        ppe_code: ppe_code.clone(),
        participant_id: seats[6].participant_id.clone(),
        escort_name: escort.into(),
        escort_document: "паспорт гражданина РФ 4510 654321".into(),
        gek_worker_id: gek_of(&plan, &ppe_code, &exam.date),
        at: (exam.start_utc().unwrap() - chrono::Duration::minutes(70)).to_rfc3339(),
        actor: "organizer".into(),
    });
    needs.extend(act_needs(&day, &seats, None, None));
    let numbers: HashMap<String, Vec<u32>> = demo_numbers(&needs);
    let identities = day.identities.clone();
    let mut day = demo_day(&plan, &exam, &seats, &numbers);
    day.identities = identities;
    let key = ppe::sheet_code::sheet_key(b"roomforms");
    let context = PrintContext { plan: &plan, exam: &exam, ppe_code: &ppe_code, seats: &seats, numbers: &numbers, key: &key, day: &day };
    let set = context.build(PrintWhat::All, None).unwrap();
    let room = seats[0].auditorium.clone();
    let doc = |name: &str| {
        set.documents
            .iter()
            .find(|d| d.file_name == name)
            .unwrap_or_else(|| panic!("{name} not printed: {:?}", set.documents.iter().map(|d| &d.file_name).collect::<Vec<_>>()))
    };
    let long = format!("{LONG_SURNAME} {LONG_NAME} {LONG_PATRONYMIC}");
    let header = [exam.subject_name.as_str(), ppe_code.as_str(), exam.date.as_str()];
    let dump = std::env::var("PPE_FORMCHECK_DUMP").ok();
    let check = |name: &str, form: &str, expected: &[&str], signatures: usize| -> String {
        let d = doc(name);
        if let Some(dir) = &dump {
            std::fs::write(format!("{dir}/{name}"), &d.bytes).unwrap();
        }
        assert_eq!(d.form, form, "{name}");
        let text = text_layout(&d.bytes);
        assert_whole(&text, &header);
        assert_whole(&text, expected);
        assert_signatures(&d.bytes, signatures);
        // Every page numbered within its copy (ППЭ-05-01 comes in two).
        let copies = if form == "ППЭ-05-01" { 2 } else { 1 };
        assert_eq!(text.matches(&format!("{form} · лист ")).count(), d.pages as usize, "{name}: a page unnumbered:\n{text}");
        for page in 1..=d.pages / copies {
            assert!(text.contains(&format!("{form} · лист {page} из {}", d.pages / copies)), "{name}: page {page} unnumbered:\n{text}");
        }
        // The sheet code's number under the code is the form's own first number.
        let printed = set
            .statements
            .iter()
            .find(|s| s.form == form && name.contains(s.holder.rsplit(':').next().unwrap()))
            .unwrap_or_else(|| panic!("{name}: its sheet numbers are not recorded"));
        assert_eq!(printed.numbers.len(), d.pages as usize, "{name}: one number per page");
        assert!(text.contains(&format!("№ {:07}-", printed.numbers[0])), "{name}: no code number {}:\n{text}", printed.numbers[0]);
        text
    };

    // ППЭ-05-01: two copies, each with its purpose, the long name whole in its columns.
    let list = check(
        &format!("ppe-05-01-{room}.pdf"),
        "ППЭ-05-01",
        &[LONG_SURNAME, LONG_NAME, "Номер места", "Документ (серия, номер)", "Экземпляр № 1", "Экземпляр № 2", "для размещения у входа в аудиторию"],
        2,
    );
    assert_eq!(list.matches(LONG_NAME).count(), 2, "the list comes in two copies:\n{list}");

    // ППЭ-05-02: times, every mark's header, the late arrival's time, both variants, counts.
    let late = context.protocol_rows(&room)[4].late_at.clone().expect("seat 4 came late");
    let protocol = check(
        &format!("ppe-05-02-{room}.pdf"),
        "ППЭ-05-02",
        &[
            &long,
            "Начало выполнения экзаменационной работы: по плану 10:00",
            "Окончание выполнения экзаменационной работы: по плану 13:55",
            "Номер бланка регистрации",
            "Вариант КИМ",
            "Опоздание (время)",
            "Не закончил по уважительной причине",
            "Замена комплекта",
            "ДБО № 2 (кол-во)",
            "Подпись участника",
            &late,
            "Ответственный организатор в аудитории",
            "замен комплектов: 1",
            "удалены: 1",
        ],
        2,
    );
    let variants: std::collections::BTreeSet<u16> = day.variants.values().copied().collect();
    assert_eq!(variants.len(), 2, "two variants drawn");
    assert!(protocol.contains("испорчены № "), "the kit replacement is noted:\n{protocol}");

    // The БР: subject code and name, school code, class, variant prefilled.
    let kits = doc(&format!("kits-{room}.pdf"));
    let kit_text = text_layout(&kits.bytes);
    let first = plan.participants.iter().find(|p| p.participant_id == seats[0].participant_id).unwrap();
    assert_whole(
        &kit_text,
        &["Код предмета", "Название предмета", "Код ОО", "Класс", "Вариант", &exam.subject_code, &first.school_code, &first.class],
    );

    // ППЭ-12-02: the prefilled header and blank rows to write in.
    check(
        &format!("ppe-12-02-{room}.pdf"),
        "ППЭ-12-02",
        &["Ведомость коррекции персональных данных", "Фамилия, имя, отчество (как напечатано в бланке)", "Верные данные", "Подпись участника"],
        1,
    );

    // ППЭ-11: the envelope's counts by kind.
    let envelope = check(
        &format!("ppe-11-{room}.pdf"),
        "ППЭ-11",
        &[
            "Сопроводительный бланк",
            "Бланки регистрации",
            "Дополнительные бланки ответов № 2",
            "Испорченные бланки",
            "Неиспользованные индивидуальные комплекты",
        ],
        3,
    );
    assert!(envelope.contains("по списку 7"), "{envelope}");
    let cover = context.envelope_cover(&room).unwrap().counts;
    assert_eq!((cover.absent, cover.unused_kits, cover.spoiled), (1, 1, 4), "seat 5 absent, seat 3's first kit spoiled: {cover:?}");

    // ППЭ-21 / ППЭ-22 / ППЭ-20: sections, names prefilled, codes.
    let gek_name = plan
        .workers
        .iter()
        .find(|w| w.worker_id == day.events.iter().find(|e| e.kind == ppe::attendance::EventKind::Removed).unwrap().gek_worker_id)
        .unwrap()
        .full_name();
    check(
        &format!("ppe-22-{}.pdf", seats[0].participant_id),
        "ППЭ-22",
        &[&long, "Заключение медицинского работника", "Не закончил экзамен по уважительной причине", "Медицинский работник", &gek_name],
        5,
    );
    let removed = &seats[1].participant_id;
    check(
        &format!("ppe-21-{removed}.pdf"),
        "ППЭ-21",
        &["Акт об удалении", "Нарушение порядка проведения экзамена", "Удалён с экзамена", "Руководитель ППЭ", &gek_name],
        4,
    );
    check(
        &format!("ppe-20-{}.pdf", seats[6].participant_id),
        "ППЭ-20",
        &["Акт об идентификации личности", escort, "паспорт гражданина РФ 4510 654321", "Сопровождающий"],
        4,
    );
}

#[test]
fn an_identity_confirmation_is_recorded_once_audited_without_names_and_its_act_printed_with_a_code() {
    use super::common::{ppe, stderr, stdout};
    let dir = tempfile::tempdir().unwrap();
    let config = super::printing::make_box(dir.path(), 14, None);
    let c = config.to_str().unwrap();
    let conn = ppe::store::open(&dir.path().join("state/ppe.db")).unwrap();
    let plan = ppe::plan::store::load_plan(&conn).unwrap();
    let seats = ppe::seating::store::seat_assignments_for_exam(&conn, "ege-02").unwrap();
    let (participant, ppe_code) = (seats[2].participant_id.clone(), seats[2].ppe_code.clone());
    let exam = plan.exams.iter().find(|e| e.exam_id == "ege-02").unwrap();
    let gek = gek_of(&plan, &ppe_code, &exam.date);
    let escort = "Петрова-Водкина Мария Ивановна";
    let confirm = |gek: &str, document: &str| {
        ppe(&[
            "edge",
            "attendance",
            "--config",
            c,
            "--exam",
            "ege-02",
            "--participant",
            &participant,
            "--escort",
            escort,
            "--escort-document",
            document,
            "--gek",
            gek,
            "--at",
            "2027-05-27T02:50:00Z",
        ])
    };
    let audit_len = || ppe::audit::store::all(&conn).unwrap().len();
    let before = audit_len();
    // Not a ГЭК member, or no document: refused with the reason, nothing written.
    let o = confirm("nobody", "паспорт 4510 123456");
    assert!(!o.status.success() && stderr(&o).contains("не член ГЭК"), "{}", stderr(&o));
    let o = confirm(&gek, " ");
    assert!(!o.status.success() && stderr(&o).contains("документ сопровождающего"), "{}", stderr(&o));
    assert!(confirmations_for_exam(&conn, "ege-02", &ppe_code).unwrap().is_empty());
    assert_eq!(audit_len(), before);
    let o = confirm(&gek, "паспорт 4510 123456");
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    let stored = confirmations_for_exam(&conn, "ege-02", &ppe_code).unwrap();
    assert_eq!((stored.len(), stored[0].escort_name.as_str(), stored[0].gek_worker_id.as_str()), (1, escort, gek.as_str()));
    let entries = ppe::audit::store::all(&conn).unwrap();
    assert_eq!(entries.len(), before + 1, "one audit entry");
    let last = format!("{:?}", entries.last().unwrap());
    assert!(last.contains("attendance.identity_confirmed") && !last.contains("Петрова") && !last.contains("4510"), "ids only in the audit: {last}");
    // Twice: refused with its reason.
    let o = confirm(&gek, "паспорт 4510 123456");
    assert!(!o.status.success() && stderr(&o).contains("уже подтверждена"), "{}", stderr(&o));

    // The act, printed on its own, carries a code; a reprint keeps the same number.
    let mut numbers = Vec::new();
    for out in ["acts", "again"] {
        let out = dir.path().join(out);
        let o = ppe(&["edge", "print", "--config", c, "--exam", "ege-02", "--act-for", &participant, "--out", out.to_str().unwrap()]);
        assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
        let pdf = std::fs::read(out.join(format!("ppe-20-{participant}.pdf"))).unwrap();
        let text = text_layout(&pdf);
        let person = plan.participants.iter().find(|p| p.participant_id == participant).unwrap();
        assert_whole(
            &text,
            &[
                "Акт об идентификации личности участника экзамена",
                escort,
                "паспорт 4510 123456",
                &person.full_name(),
                &person.school_code,
                "ППЭ-20 · лист 1 из 1",
            ],
        );
        assert_signatures(&pdf, 4);
        let number = text.split("S № ").nth(1).map(|t| t[..9].to_string()).unwrap_or_else(|| panic!("no sheet code number:\n{text}"));
        numbers.push(number);
    }
    assert_eq!(numbers[0], numbers[1], "a reprint carries the same code");
}
