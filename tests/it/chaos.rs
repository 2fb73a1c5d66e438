//! The crash harness (issue 20, item 1): every long job of the box and the hub — scan intake
//! from the inbox and from SANE, bundle build, upload (with the hub's finalize), `hub import`
//! from media, pull and prestage — run as the real `ppe` binary, killed with SIGKILL at a
//! seeded random moment or aborted at a chosen crash point (`PPE_CRASH_AT`, `util::crash_point`),
//! restarted and let finish; then the invariants: no page, file or receipt lost, none
//! duplicated, `PRAGMA integrity_check` ok, the audit chains verify (box and hub), the
//! receipt covers exactly what was scanned (`ppe::edge::verify_state` and each job's checks).
//!
//! CI runs a few runs per job (different seed each time, printed). `scripts/chaos.sh --runs N
//! [--job NAME]` runs more: `PPE_CHAOS_RUNS`, `PPE_CHAOS_JOBS`, `PPE_CHAOS_SEED`. The table
//! is printed and written to `target/chaos/`.

mod day;
mod jobs;
mod media;
mod pull;

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};

use ppe::edge::verify_state::{Damage, StateReport};

/// How a run is interrupted.
#[derive(Debug, Clone)]
pub enum Interrupt {
    /// SIGKILL this long after the start (if it is still running).
    After(Duration),
    /// `PPE_CRASH_AT=<point>`: the process aborts there.
    Point(&'static str),
}

impl std::fmt::Display for Interrupt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Interrupt::After(d) => write!(f, "kill -9 after {} ms", d.as_millis()),
            Interrupt::Point(p) => write!(f, "crash at {p}"),
        }
    }
}

/// What one run found.
#[derive(Debug, Default)]
pub struct Outcome {
    pub killed: bool,
    pub lost: usize,
    pub duplicated: usize,
    pub corrupted: usize,
    pub notes: Vec<String>,
}

impl Outcome {
    pub fn lost(&mut self, note: String) {
        self.lost += 1;
        self.notes.push(format!("lost: {note}"));
    }
    pub fn duplicated(&mut self, note: String) {
        self.duplicated += 1;
        self.notes.push(format!("duplicated: {note}"));
    }
    pub fn corrupted(&mut self, note: String) {
        self.corrupted += 1;
        self.notes.push(format!("corrupted: {note}"));
    }

    /// Adds every problem of a `verify_state` report, naming whose state it was.
    pub fn state(&mut self, whose: &str, r: &StateReport) {
        for p in &r.problems {
            let note = format!("{whose}: {}", p.detail);
            match p.damage {
                Damage::Lost => self.lost(note),
                Damage::Duplicated => self.duplicated(note),
                Damage::Corrupted => self.corrupted(note),
            }
        }
    }

    /// The restart did not finish: the state it left cannot be completed.
    pub fn finished(&mut self, what: &str, o: &std::process::Output) -> bool {
        if !o.status.success() {
            self.corrupted(format!("{what} after the crash failed: {}", String::from_utf8_lossy(&o.stderr).trim()));
        }
        o.status.success()
    }
}

/// A long job the harness crashes.
pub trait Job {
    fn name(&self) -> &'static str;
    /// The crash points on its path (`util::crash_point` names).
    fn points(&self) -> &'static [&'static str];
    /// Random kill moments are drawn from this range (about the job's own length).
    fn kill_window_ms(&self) -> (u64, u64);
    /// One run: set up, start and interrupt, restart until done, check.
    fn run(&mut self, run: usize, how: &Interrupt) -> Outcome;
}

/// Starts `cmd` and interrupts it; whether the process died of it.
pub fn run_interrupted(mut cmd: Command, how: &Interrupt) -> bool {
    cmd.stdout(Stdio::null()).stderr(Stdio::null()).env("PPE_LOG", "warn");
    match how {
        Interrupt::Point(p) => {
            let status = cmd.env("PPE_CRASH_AT", p).status().unwrap();
            status.signal().is_some()
        }
        Interrupt::After(d) => {
            let mut child = cmd.spawn().unwrap();
            std::thread::sleep(*d);
            let running = child.try_wait().unwrap().is_none();
            if running {
                child.kill().unwrap(); // SIGKILL: nothing of the child's runs after this
            }
            child.wait().unwrap();
            running
        }
    }
}

/// Runs `cmd` to its end (the restart).
pub fn run_to_end(mut cmd: Command) -> std::process::Output {
    cmd.env("PPE_LOG", "warn").output().unwrap()
}

pub fn ppe_cmd(args: &[&str]) -> Command {
    let mut c = Command::new(crate::common::ppe_bin());
    c.args(args);
    c
}

/// Per-job totals.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub job: String,
    pub runs: usize,
    pub kills: usize,
    pub lost: usize,
    pub duplicated: usize,
    pub corrupted: usize,
    pub seconds: f64,
    pub has_points: bool,
    pub notes: Vec<String>,
}

pub fn table(seed: u64, tallies: &[Tally]) -> String {
    let mut out = format!("Seed {seed}; binary {}\n\n", crate::common::ppe_bin().display());
    out.push_str("| job | runs | kills | lost | duplicated | corrupted | seconds |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    let mut total = Tally { job: "**total**".into(), ..Tally::default() };
    for t in tallies {
        out.push_str(&format!("| {} | {} | {} | {} | {} | {} | {:.1} |\n", t.job, t.runs, t.kills, t.lost, t.duplicated, t.corrupted, t.seconds));
        (total.runs, total.kills, total.lost, total.duplicated, total.corrupted) =
            (total.runs + t.runs, total.kills + t.kills, total.lost + t.lost, total.duplicated + t.duplicated, total.corrupted + t.corrupted);
        total.seconds += t.seconds;
    }
    let t = total;
    out.push_str(&format!("| {} | {} | {} | {} | {} | {} | {:.1} |\n", t.job, t.runs, t.kills, t.lost, t.duplicated, t.corrupted, t.seconds));
    for t in tallies.iter().filter(|t| !t.notes.is_empty()) {
        out.push_str(&format!("\n{}:\n", t.job));
        for n in &t.notes {
            out.push_str(&format!("- {n}\n"));
        }
    }
    out
}

fn all_jobs(root: &Path, seed: u64) -> Vec<Box<dyn Job>> {
    let materials = pull::Materials::shared(root);
    vec![
        Box::new(jobs::Inbox::new(root, seed)),
        Box::new(jobs::Sane::new(root)),
        Box::new(jobs::Bundle::new(root, seed)),
        Box::new(media::Upload::new(root, seed)),
        Box::new(media::Import::new(root, seed)),
        Box::new(pull::Pull::new(materials.clone(), false)),
        Box::new(pull::Pull::new(materials, true)),
        Box::new(day::Attendance::new(root)),
        Box::new(day::PrintQueue::new(root)),
    ]
}

/// Runs `runs` runs of every job whose name `only` lists (all when empty); returns the tallies.
pub fn harness(seed: u64, runs: usize, only: &[String]) -> Vec<Tally> {
    let tmp = tempfile::Builder::new().prefix("ppe-chaos").tempdir().unwrap();
    let mut tallies = Vec::new();
    for mut job in all_jobs(tmp.path(), seed) {
        if !only.is_empty() && !only.iter().any(|o| o == job.name()) {
            continue;
        }
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed ^ fxhash(job.name()));
        let mut t = Tally { job: job.name().into(), has_points: !job.points().is_empty(), ..Tally::default() };
        let started = Instant::now();
        for run in 0..runs {
            let points = job.points();
            // Every other run aborts at a chosen point, in turn; the others at a random moment.
            let how = if run % 2 == 1 && !points.is_empty() {
                Interrupt::Point(points[(run / 2) % points.len()])
            } else {
                let (lo, hi) = job.kill_window_ms();
                Interrupt::After(Duration::from_millis(rng.gen_range(lo..hi)))
            };
            let o = job.run(run, &how);
            t.runs += 1;
            t.kills += o.killed as usize;
            (t.lost, t.duplicated, t.corrupted) = (t.lost + o.lost, t.duplicated + o.duplicated, t.corrupted + o.corrupted);
            t.notes.extend(o.notes.into_iter().map(|n| format!("run {run} ({how}): {n}")));
        }
        t.seconds = started.elapsed().as_secs_f64();
        eprintln!("chaos {}: {} runs, {} kills, {:.1} s", t.job, t.runs, t.kills, t.seconds);
        tallies.push(t);
    }
    tallies
}

fn fxhash(s: &str) -> u64 {
    s.bytes().fold(0xcbf29ce484222325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100000001b3))
}

/// `target/chaos/` beside the test binary's target folder.
fn report_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/chaos")
}

#[test]
fn every_long_job_killed_and_restarted_loses_duplicates_and_corrupts_nothing() {
    let seed: u64 = std::env::var("PPE_CHAOS_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| rand::thread_rng().gen());
    let runs: usize = std::env::var("PPE_CHAOS_RUNS").ok().and_then(|s| s.parse().ok()).unwrap_or(2);
    let only: Vec<String> =
        std::env::var("PPE_CHAOS_JOBS").map(|s| s.split(',').filter(|j| !j.is_empty()).map(str::to_string).collect()).unwrap_or_default();
    eprintln!("chaos seed {seed} (PPE_CHAOS_SEED={seed} repeats this run), {runs} runs per job");
    let tallies = harness(seed, runs, &only);
    let text = table(seed, &tallies);
    eprintln!("{text}");
    std::fs::create_dir_all(report_dir()).unwrap();
    std::fs::write(report_dir().join("report.md"), &text).unwrap();
    std::fs::write(report_dir().join(format!("report-{seed}.md")), &text).unwrap();
    assert!(!tallies.is_empty(), "no job named {only:?}");
    for t in &tallies {
        assert_eq!((t.lost, t.duplicated, t.corrupted), (0, 0, 0), "{}: {:?}\n{text}", t.job, t.notes);
        // A job with crash points is killed at least there; a random moment may come too late.
        assert!(t.kills > 0 || runs < 2 || !t.has_points, "{}: no run was killed\n{text}", t.job);
    }
}
