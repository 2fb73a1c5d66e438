//! КИМ variants end to end (issue 16 item 1): a real hub publishes a package with two
//! variants, the box pulls it, seats the exam, a ГЭК member activates the key, the organizers
//! mark a room with three absentees, and `ppe edge print --what kim` goes through a real cupsd
//! with cups-pdf: exactly one copy per present participant, each of the variant their seat was
//! given — read back from the printed PDFs with pdftotext.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use crate::common::*;
use crate::materials::{s, Hub, World, EXAM, IN_WINDOW};

/// One minute after ege-02's start (10:00 +07 = 03:00Z).
const AFTER_START: &str = "2027-05-27T03:01:00Z";

fn text(o: &Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
}

fn print_kim(w: &World, room: &str, now: &str) -> Output {
    Command::new(ppe_bin())
        .args(["edge", "print", "--config", s(&w.box_toml), "--exam", EXAM, "--what", "kim", "--auditorium", room, "--now", now, "--wait-secs", "60"])
        .env("PPE_LOG", "warn")
        .output()
        .unwrap()
}

/// (document, copies, CUPS job) of every job line `задание N: DOC — K стр., CUPS J — state`.
fn job_lines(out: &str) -> Vec<(String, u32, i64)> {
    out.lines()
        .filter(|l| l.starts_with("задание "))
        .map(|l| {
            let rest = l.split_once(": ").unwrap().1;
            let (doc, rest) = rest.split_once(" — ").unwrap();
            let copies = rest.split_whitespace().next().unwrap().parse().unwrap();
            let cups = rest.split("CUPS ").nth(1).unwrap().split_whitespace().next().unwrap().parse().unwrap();
            (doc.to_string(), copies, cups)
        })
        .collect()
}

/// The variant printed on each page of a cups-pdf output (the demo КИМ's visible line).
fn variants_on_pages(pdf: &Path) -> Vec<u16> {
    let o = Command::new("pdftotext").args(["-layout"]).arg(pdf).arg("-").output().unwrap();
    assert!(o.status.success(), "pdftotext {}: {}", pdf.display(), String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout)
        .split('\u{c}')
        .filter(|page| !page.trim().is_empty())
        .map(|page| {
            let after = page.split("variant ").nth(1).unwrap_or_else(|| panic!("a page without a variant marker in {}: {page}", pdf.display()));
            after.split(|c: char| !c.is_ascii_digit()).next().unwrap().parse().unwrap()
        })
        .collect()
}

fn set_printer(box_toml: &Path, cups: &Cupsd) {
    let mut v: toml::Table = toml::from_str(&std::fs::read_to_string(box_toml).unwrap()).unwrap();
    let mut t = toml::Table::new();
    t.insert("name".into(), cups.printer.clone().into());
    t.insert("cups_uri".into(), cups.uri().into());
    v.insert("printer".into(), toml::Value::Table(t));
    std::fs::write(box_toml, toml::to_string(&v).unwrap()).unwrap();
}

fn mark(conn: &mut ppe::store::Connection, participant: &str, kind: ppe::attendance::EventKind) {
    let e = ppe::attendance::ExamEvent { medical_worker_id: String::new(),
        exam_id: EXAM.into(),
        participant_id: participant.into(),
        kind,
        at: AFTER_START.into(),
        reason: String::new(),
        gek_worker_id: String::new(),
        actor: "organizer".into(),
    };
    ppe::attendance::ops::record(conn, AFTER_START, e).unwrap();
}

#[test]
fn a_room_with_two_variants_and_three_absentees_prints_one_copy_per_present_participant_of_its_seat_variant() {
    assert!(have("pdftotext"), "pdftotext (poppler-utils) is needed to read the printed PDFs back");
    let cups = Cupsd::start();
    let w = World::new(&[64], 65_536);
    // The package of the day: two КИМ variants and the organizers' instruction.
    let materials = w.dir.join("materials");
    std::fs::remove_dir_all(&materials).unwrap();
    std::fs::create_dir_all(&materials).unwrap();
    for v in [1, 2] {
        std::fs::write(materials.join(format!("1-kim-variant-{v}.pdf")), ppe::demo::demo_kim_pdf(EXAM, v)).unwrap();
    }
    std::fs::write(materials.join("2-instruction.pdf"), ppe::demo::demo_pdf("Instruction for organizers")).unwrap();
    w.publish(65_536);
    let manifest = w.manifest("0101").manifest;
    let numbered: Vec<(String, Option<u16>)> = manifest.files.iter().map(|f| (f.name.clone(), f.variant)).collect();
    assert_eq!(
        numbered,
        vec![("1-kim-variant-1.pdf".into(), Some(1)), ("1-kim-variant-2.pdf".into(), Some(2)), ("2-instruction.pdf".into(), None)],
        "the hub numbers each КИМ file"
    );
    set_printer(&w.box_toml, &cups);

    let hub = Hub::start(&w.hub_toml, IN_WINDOW);
    let o = w.edge(&hub, &["pull", "--exam", EXAM, "--by", "tech1"]);
    assert!(o.status.success(), "pull: {}", text(&o));
    let ctx = w.edge_ctx(&hub);
    let seating = {
        let mut conn = ctx.db().unwrap();
        ppe::seating::ops::run(&mut conn, IN_WINDOW, "tech1", EXAM, "0101", 20_270_527, ppe::seating::SeatingRules::default()).unwrap()
    };
    let mut rooms: BTreeMap<String, Vec<ppe::model::SeatAssignment>> = BTreeMap::new();
    for seat in &seating.seats {
        rooms.entry(seat.auditorium.clone()).or_default().push(seat.clone());
    }
    let (room, seats) = rooms.into_iter().max_by_key(|(_, seats)| seats.len()).unwrap();
    assert!(seats.len() >= 6, "a room of at least 6 for 3 absentees: {}", seats.len());
    let (gek_key, pin) = w.enroll_gek(&w.gek_member("0101"));
    let o = w.edge(&hub, &["activate", "--exam", EXAM, "--gek-key", s(&gek_key), "--pin-file", s(&pin)]);
    assert!(o.status.success(), "activate: {}", text(&o));
    drop(hub);

    // In the auditorium КИМ is printed from the start, not in the materials window before it.
    let o = print_kim(&w, &room, IN_WINDOW);
    assert!(!o.status.success() && text(&o).contains("не раньше 10:00"), "printed before the start: {}", text(&o));
    // At the start, but nobody marked present yet: nothing is printed.
    let o = print_kim(&w, &room, AFTER_START);
    assert!(!o.status.success() && text(&o).contains("отмеченных присутствующими"), "{}", text(&o));

    let absent: Vec<&str> = [1, 3, 4].iter().map(|&i| seats[i].participant_id.as_str()).collect();
    {
        let mut conn = ctx.db().unwrap();
        for seat in &seats {
            let kind =
                if absent.contains(&seat.participant_id.as_str()) { ppe::attendance::EventKind::Absent } else { ppe::attendance::EventKind::Present };
            mark(&mut conn, &seat.participant_id, kind);
        }
    }
    let o = print_kim(&w, &room, AFTER_START);
    assert!(o.status.success(), "print КИМ: {}", text(&o));
    let jobs = job_lines(&stdout(&o));

    // The variant plan the box drew (and audited) from the seating seed.
    let conn = ctx.db().unwrap();
    let variants: BTreeMap<String, u16> = ppe::seating::variants::ops::variants_of(&conn, EXAM, "0101").unwrap();
    for a in &seats {
        for b in &seats {
            if ppe::seating::variants::are_neighbours(a, b) {
                assert_ne!(
                    variants[&a.participant_id],
                    variants[&b.participant_id],
                    "neighbours {} and {} share a variant",
                    a.seat_label(),
                    b.seat_label()
                );
            }
        }
    }
    let mut want: BTreeMap<u16, usize> = BTreeMap::new();
    for seat in seats.iter().filter(|s| !absent.contains(&s.participant_id.as_str())) {
        *want.entry(variants[&seat.participant_id]).or_default() += 1;
    }
    assert_eq!(want.keys().copied().collect::<Vec<_>>(), vec![1, 2], "both variants are in the room");

    // Read back from what cups-pdf wrote: one job and one page per copy, each of its job's variant.
    let mut got: BTreeMap<u16, usize> = BTreeMap::new();
    let mut instructions = 0;
    for (doc, copies, cups_job) in &jobs {
        let pdf = cups.output_of(*cups_job);
        if doc == "2-instruction.pdf" {
            instructions += 1;
            assert_eq!(*copies, 1);
            continue;
        }
        let pages = variants_on_pages(&pdf);
        assert_eq!(pages.len(), *copies as usize, "{doc}: copies asked {copies}, pages printed {pages:?}");
        let expected_variant = if doc.contains("variant-1") { 1 } else { 2 };
        assert!(pages.iter().all(|&v| v == expected_variant), "{doc} printed {pages:?}");
        for v in pages {
            *got.entry(v).or_default() += 1;
        }
    }
    assert_eq!(got, want, "copies per variant = present participants whose seat has that variant");
    assert_eq!(got.values().sum::<usize>(), seats.len() - 3, "exactly one copy per present participant");
    assert_eq!(instructions, 1, "the instruction once for the room");

    let audit: Vec<String> = ppe::audit::store::all(&conn).unwrap().into_iter().map(|e| format!("{} {}", e.action, e.details)).collect();
    assert!(audit.iter().any(|e| e.starts_with("variant.assign ") && e.contains("\"seed\":20270527")), "the variant plan is audited with its seed");
    let printed: Vec<&String> = audit.iter().filter(|e| e.starts_with("variant.kim_printed ")).collect();
    assert_eq!(printed.len(), seats.len() - 3, "one printed copy recorded per present participant: {printed:?}");
    assert!(absent.iter().all(|p| !printed.iter().any(|e| e.contains(p))), "an absentee's КИМ was printed");
    drop(conn);

    // Printing again prints nothing twice.
    let o = print_kim(&w, &room, AFTER_START);
    assert!(!o.status.success() && text(&o).contains("без напечатанного КИМ"), "{}", text(&o));
    assert!(job_lines(&stdout(&o)).is_empty(), "{}", text(&o));
}
