//! The exam day's operations in the crash harness: kits issued to the seated participants and
//! everyone marked present, one command after another, one of them killed at a random moment
//! and given again (as an organizer would press again).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::jobs::s;
use super::{ppe_cmd, run_interrupted, run_to_end, Interrupt, Job, Outcome};

const EXAM: &str = "ege-02";

pub struct Attendance {
    root: PathBuf,
    /// Each participant's kit (sheet kinds, sorted) after a run nobody killed.
    reference: Option<BTreeMap<String, Vec<String>>>,
}

impl Attendance {
    pub fn new(root: &Path) -> Self {
        Self { root: root.to_path_buf(), reference: None }
    }

    /// Kits issued and everyone marked present; `kill` interrupts step `target`.
    fn play(&self, name: &str, kill: Option<(usize, &Interrupt)>, o: &mut Outcome) -> Option<(PathBuf, Vec<String>)> {
        let dir = self.root.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let config = crate::printing::make_box(&dir, 8, None);
        let db = ppe::store::open(&dir.join("state/ppe.db")).unwrap();
        let seated: Vec<String> = ppe::seating::store::seat_assignments_for_exam(&db, EXAM).unwrap().into_iter().map(|a| a.participant_id).collect();
        let mut steps = vec![vec!["--issue-kits".to_string()]];
        steps.extend(seated.iter().map(|p| vec!["--participant".into(), p.clone(), "--event".into(), "present".into()]));
        for (i, step) in steps.iter().enumerate() {
            let cmd = || {
                let mut args = vec!["edge", "attendance", "--config", s(&config), "--exam", EXAM];
                args.extend(step.iter().map(String::as_str));
                ppe_cmd(&args)
            };
            match kill {
                Some((target, how)) if target % steps.len() == i => {
                    o.killed = run_interrupted(cmd(), how);
                    // Pressed again: done already is refused with its reason, which is fine here.
                    run_to_end(cmd());
                }
                _ if !o.finished(&format!("edge attendance {}", step.join(" ")), &run_to_end(cmd())) => return None,
                _ => {}
            }
        }
        Some((dir, seated))
    }
}

/// Each participant's kit: the sheet kinds of their valid sheets, sorted.
fn kits(conn: &ppe::store::Connection, o: &mut Outcome) -> BTreeMap<String, Vec<String>> {
    let ppe_code = ppe::plan::store::load_plan(conn).unwrap().exam_points[0].ppe_code.clone();
    let mut numbers = BTreeSet::new();
    let mut kits: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for sheet in ppe::attendance::store::issued_sheets(conn, EXAM, &ppe_code).unwrap().into_iter().filter(|s| !s.voided) {
        if !numbers.insert((format!("{:?}", sheet.kind), sheet.number)) {
            o.duplicated(format!("sheet number {} issued twice", sheet.number));
        }
        kits.entry(sheet.participant_id.clone().unwrap_or_default()).or_default().push(format!("{:?}", sheet.kind));
    }
    kits.values_mut().for_each(|k| k.sort());
    kits
}

impl Job for Attendance {
    fn name(&self) -> &'static str {
        "attendance"
    }
    fn points(&self) -> &'static [&'static str] {
        &[]
    }
    fn kill_window_ms(&self) -> (u64, u64) {
        // One command: the process start, the database, one transaction.
        (5, 120)
    }
    fn run(&mut self, run: usize, how: &Interrupt) -> Outcome {
        if self.reference.is_none() {
            let mut clean = Outcome::default();
            let (dir, _) = self.play("attendance-reference", None, &mut clean).expect("an attendance run nobody kills finishes");
            let reference = kits(&ppe::store::open(&dir.join("state/ppe.db")).unwrap(), &mut clean);
            assert!(clean.notes.is_empty(), "{:?}", clean.notes);
            self.reference = Some(reference);
        }
        let target = match how {
            Interrupt::After(d) => d.as_millis() as usize * 7 + run,
            Interrupt::Point(_) => 0,
        };
        let mut o = Outcome::default();
        let Some((dir, seated)) = self.play(&format!("attendance-{run}"), Some((target, how)), &mut o) else { return o };
        let conn = ppe::store::open(&dir.join("state/ppe.db")).unwrap();
        let held = kits(&conn, &mut o);
        let reference = self.reference.as_ref().unwrap();
        for p in &seated {
            match (held.get(p), reference.get(p)) {
                (None, _) => o.lost(format!("participant {p} has no kit")),
                (Some(k), Some(want)) if k == want => {}
                (Some(k), want) => o.duplicated(format!("participant {p} holds {k:?}, a whole kit is {want:?}")),
            }
        }
        let events = ppe::attendance::store::events_for_exam(&conn, EXAM).unwrap();
        for p in &seated {
            let present = events.iter().filter(|e| &e.participant_id == p && e.kind == ppe::attendance::EventKind::Present).count();
            match present {
                0 => o.lost(format!("participant {p}: the presence mark is missing")),
                1 => {}
                n => o.duplicated(format!("participant {p} marked present {n} times")),
            }
        }
        o.state("box", &ppe::edge::verify_state::database(&conn));
        o
    }
}

/// `edge print --what seating` to a private cupsd's stopped cups-pdf queue, killed and given again:
/// every job CUPS took must be one the box recorded (no paper the box does not know about).
pub struct PrintQueue {
    root: PathBuf,
    cups: Option<crate::common::Cupsd>,
}

impl PrintQueue {
    pub fn new(root: &Path) -> Self {
        Self { root: root.to_path_buf(), cups: None }
    }
}

/// The ids of every job the private cupsd holds for its printer, finished or not.
fn cups_jobs(cups: &crate::common::Cupsd) -> BTreeSet<i64> {
    let o = std::process::Command::new("lpstat").args(["-h", &cups.host(), "-W", "all", "-o", &cups.printer]).output().unwrap();
    let prefix = format!("{}-", cups.printer);
    String::from_utf8_lossy(&o.stdout).lines().filter_map(|l| l.split_whitespace().next()?.strip_prefix(&prefix)?.parse().ok()).collect()
}

impl Job for PrintQueue {
    fn name(&self) -> &'static str {
        "print-queue"
    }
    fn points(&self) -> &'static [&'static str] {
        &["print.submitted"]
    }
    fn kill_window_ms(&self) -> (u64, u64) {
        (20, 1500)
    }
    fn run(&mut self, run: usize, how: &Interrupt) -> Outcome {
        let cups = self.cups.get_or_insert_with(|| {
            // A stopped queue takes jobs and keeps them: what CUPS took is counted without
            // Ghostscript rendering every page.
            let cups = crate::common::Cupsd::start();
            cups.admin("cupsdisable");
            cups
        });
        let dir = self.root.join(format!("print-{run}"));
        std::fs::create_dir_all(&dir).unwrap();
        let config = crate::printing::make_box(&dir, 8, Some(cups));
        let before = cups_jobs(cups);
        let cmd = || ppe_cmd(&["edge", "print", "--config", s(&config), "--exam", EXAM, "--what", "seating", "--wait-secs", "1"]);
        let mut o = Outcome { killed: run_interrupted(cmd(), how), ..Outcome::default() };
        // The queue is stopped: the box reports the jobs not printed (exit 1), as it should.
        let again = run_to_end(cmd());
        if !again.status.success() && !String::from_utf8_lossy(&again.stderr).contains("не напечатано заданий") && !o.finished("edge print", &again)
        {
            return o;
        }
        let taken: BTreeSet<i64> = cups_jobs(cups).difference(&before).copied().collect();
        let conn = ppe::store::open(&dir.join("state/ppe.db")).unwrap();
        let rows = ppe::printing::store::print_jobs_for_exam(&conn, EXAM).unwrap();
        let recorded: BTreeSet<i64> = rows.iter().filter_map(|r| r.cups_job_id).collect();
        // A job recorded before CUPS took it, whose number the killed box never heard: held
        // as pending for a person (the paper is accounted for, its number is not).
        let in_doubt = rows.iter().filter(|r| r.cups_job_id.is_none() && r.state == ppe::printing::JobState::Pending).count();
        for id in taken.difference(&recorded).skip(in_doubt) {
            o.duplicated(format!("CUPS job {id} printed, unknown to the box"));
        }
        for id in recorded.difference(&taken) {
            o.lost(format!("the box recorded CUPS job {id}, which CUPS never had"));
        }
        o.state("box", &ppe::edge::verify_state::database(&conn));
        o
    }
}
