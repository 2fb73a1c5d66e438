//! Every printed form carries a sheet code (issue 17 item 2): a filled day's whole print run
//! (kits, lists, protocols, the -МАШ forms, the acts) rendered by pdftoppm as a scanner
//! delivers it — 150 and 300 dpi, some documents fed 2° askew — goes through the real intake:
//! every page is matched to its sheet or to its form, copy and page «лист N из M», nothing is
//! left for a person and completeness holds; a page held back is named exactly until it comes.

use std::collections::BTreeSet;

use crate::common::*;
use crate::formcheck::render_png;

#[test]
fn every_page_of_a_days_print_run_scanned_back_is_matched_to_its_form_room_and_page() {
    assert!(have("pdftoppm"), "pdftoppm missing: run scripts/install-deps.sh (poppler-utils)");
    let day = crate::printing::play_day();
    let ctx = ppe::context::EdgeContext::open(&day.config).unwrap();
    let request = ppe::printing::ops::PrintRequest {
        exam_id: "ege-02".into(),
        what: ppe::printing::PrintWhat::All,
        auditorium: None,
        printer: None,
        wait: std::time::Duration::ZERO,
        actor: "tech".into(),
    };
    let set = ppe::printing::ops::make_set(&ctx, &request).unwrap();
    let forms: BTreeSet<&str> = set.documents.iter().map(|d| d.form.as_str()).filter(|f| !f.is_empty()).collect();
    for form in
        ["ППЭ-05-01", "ППЭ-05-02", "ППЭ-06-02", "ППЭ-07", "ППЭ-12-04-МАШ", "ППЭ-13-02-МАШ", "ППЭ-14-02", "ППЭ-18-МАШ", "ППЭ-19", "ППЭ-21", "ППЭ-22"]
    {
        assert!(forms.contains(form), "{form} not in the print run: {forms:?}");
    }
    let conn = day.db();
    let ppe_code = day.seats[0].ppe_code.clone();
    let expected = ppe::attendance::ops::expected_sheets(&conn, "ege-02", &ppe_code).unwrap();
    let form_pages: usize = set.documents.iter().filter(|d| !d.form.is_empty()).map(|d| d.pages as usize).sum();
    assert_eq!(expected.forms.iter().map(|f| f.numbers.len()).sum::<usize>(), form_pages, "every form page is in the printed-forms record");
    assert!(expected.unprinted_forms.is_empty(), "{:?}", expected.unprinted_forms);

    // What the scanner gets: every page of the run but the kits of those absent (their unused
    // kits go back unscanned). Kits and every other form at 150 dpi, the rest at 300; the first
    // room's kits and the last room's protocol fed 2° askew. The last room's protocol's last
    // page is held back.
    let exam = ppe::plan::store::exam_get(&conn, "ege-02").unwrap().unwrap();
    let kit_len = ppe::model::kit::kit_of(&exam).unwrap().sheets().len();
    let absent: BTreeSet<String> = expected.participants.iter().filter(|p| !p.present).map(|p| p.participant_id.clone()).collect();
    let mut rooms: Vec<String> = day.seats.iter().map(|s| s.auditorium.clone()).collect();
    rooms.dedup();
    let (first_room, last_room) = (rooms[0].clone(), rooms[rooms.len() - 1].clone());
    let inbox = day.dir.path().join("scanner");
    std::fs::create_dir_all(&inbox).unwrap();
    let held = day.dir.path().join("held-back.png");
    let (mut fed, mut form_index, mut rotated) = (0, 0, 0);
    let mut dpis = BTreeSet::new();
    for (i, doc) in set.documents.iter().enumerate() {
        let is_kit = doc.form.is_empty();
        let dpi = if is_kit || form_index % 2 == 0 { 150 } else { 300 };
        form_index += usize::from(!is_kit);
        let askew =
            (is_kit && doc.auditorium.as_deref() == Some(&first_room)) || (doc.form == "ППЭ-05-02" && doc.auditorium.as_deref() == Some(&last_room));
        let pages = render_png(&doc.bytes, dpi, if askew { 2.0 } else { 0.0 });
        assert_eq!(pages.len(), doc.pages as usize, "{}", doc.file_name);
        let owners: Vec<&str> =
            day.seats.iter().filter(|s| Some(&s.auditorium) == doc.auditorium.as_ref()).map(|s| s.participant_id.as_str()).collect();
        for (p, png) in pages.iter().enumerate() {
            if is_kit && absent.contains(owners[p / kit_len]) {
                continue;
            }
            if doc.form == "ППЭ-05-02" && doc.auditorium.as_deref() == Some(&last_room) && p + 1 == pages.len() {
                std::fs::write(&held, png).unwrap();
                continue;
            }
            std::fs::write(inbox.join(format!("{i:03}-{p:03}.png")), png).unwrap();
            fed += 1;
            rotated += usize::from(askew);
            dpis.insert(dpi);
        }
    }
    assert!(rotated > 0 && dpis.len() == 2, "askew pages {rotated}, resolutions {dpis:?}");

    let intake = |dir: &std::path::Path| {
        let request = ppe::scanning::ops::IntakeRequest {
            exam_id: "ege-02".into(),
            source: ppe::scanning::ops::IntakeSource::Folder(dir.to_path_buf()),
            expected_file: None,
            actor: "tech".into(),
        };
        ppe::scanning::ops::ingest(&ctx, &request).unwrap()
    };
    let report = intake(&inbox);
    let unmatched: Vec<String> = ppe::scanning::store::pages_for_exam(&conn, "ege-02")
        .unwrap()
        .iter()
        .filter(|r| r.status != "matched")
        .map(|r| format!("{} {}: {} {:?}", r.source, r.status, r.reason, r.code_text))
        .collect();
    assert_eq!((report.stored, report.matched, report.to_resolve), (fed, fed, 0), "{report:?}: {unmatched:#?}");

    // Each form page carries its form, copy and page; together they are the run's pages.
    let rows = ppe::scanning::store::pages_for_exam(&conn, "ege-02").unwrap();
    let scanned_forms: BTreeSet<String> = rows.iter().filter_map(|r| r.form_place_ru()).collect();
    let printed_forms: BTreeSet<String> = expected.forms.iter().flat_map(|f| f.numbers.iter().map(|n| f.page_of(*n).unwrap().place_ru())).collect();
    assert_eq!(scanned_forms.len() + 1, printed_forms.len(), "all but the held-back page");
    assert!(scanned_forms.is_subset(&printed_forms));
    let pages = set.documents.iter().find(|d| d.form == "ППЭ-05-02" && d.auditorium.as_deref() == Some(&last_room)).unwrap().pages;
    let missing = format!("ППЭ-05-02, аудитория {last_room}, лист {pages} из {pages}");
    assert!(!scanned_forms.contains(&missing) && printed_forms.contains(&missing), "{missing}");

    // Completeness names exactly the page held back, and holds once it comes.
    let c = ppe::scanning::ops::completeness_now(&conn, "ege-02", &expected).unwrap();
    assert_eq!(c.lines_ru().len(), 1, "{:?}", c.lines_ru());
    assert!(c.lines_ru()[0].starts_with(&format!("нет скана {missing} (№ ")), "{:?}", c.lines_ru());
    let late = day.dir.path().join("late");
    std::fs::create_dir_all(&late).unwrap();
    std::fs::rename(&held, late.join("late.png")).unwrap();
    let report = intake(&late);
    assert_eq!((report.matched, report.to_resolve), (1, 0), "{report:?}");
    let c = ppe::scanning::ops::completeness_now(&conn, "ege-02", &expected).unwrap();
    assert!(c.holds(), "{:?}", c.lines_ru());

    // The CLI's list names each form page by its form, copy and page.
    let o = ppe(&["edge", "scan", "--config", day.config.to_str().unwrap(), "--exam", "ege-02", "--list"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains(&format!("форма: {missing} (late.png)")), "{}", stdout(&o));
    assert!(stdout(&o).contains("комплектность: всё на месте"), "{}", stdout(&o));
}
