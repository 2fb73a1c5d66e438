//! Seating benchmark (no harness: `cargo bench --bench seating -- --bench`; under `cargo test`
//! it runs a small smoke set).
//!
//! Two sizes from the seating issue: one exam point (300 participants, 20 auditoriums, target
//! ≤ 5 ms) and a whole region seated as one run (100 000 participants, 5 000 auditoriums,
//! target ≤ 1 s). The baseline in the same run is the naive fill (participants in input order
//! into seats in room order, no rules): the ratio says what the rules cost. The quality figure
//! is the same-school neighbour pairs left against the sound lower bound the seating reports,
//! and the naive fill's pairs for comparison.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use ppe::model::{Auditorium, SeatAssignment};
use ppe::seating::{count_same_school_pairs, seat, Seatee, SeatingInput, SeatingRules};

/// A deterministic exam point: `rooms` auditoriums of 5×6 seats (capacity 30, 25 used by the
/// rule), one in ten flagged for ОВЗ, `participants` from `schools` schools with a skewed
/// distribution (a big school sends a third), 1 % needing a special room, 0.2 % Braille.
fn exam_point(participants: usize, rooms: usize, schools: usize, seed: u64, dense: bool) -> SeatingInput {
    let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let auditoriums = (0..rooms)
        .map(|i| Auditorium {
            ppe_code: "0101".into(),
            auditorium: format!("{:04}", i + 1),
            rows: 5,
            columns: 6,
            capacity: 30,
            special_needs: !dense && i % 10 == 0,
            video: true,
            oral: false,
            reserve: false,
            unusable_seats: if !dense && i % 7 == 0 { "1А".into() } else { String::new() },
            floor: (i / 10) as u8,
            room_kind: None,
        })
        .collect();
    let participants = (0..participants)
        .map(|i| {
            let r = next();
            // Dense: one school sends 60 % and rooms are full, so pairs cannot all be avoided.
            let school = if (dense && r % 5 < 3) || (!dense && r % 3 == 0) { 0 } else { (r >> 8) as usize % schools };
            Seatee {
                participant_id: format!("P{i:07}"),
                school_code: format!("S{school:04}"),
                special_room: !dense && next() % 100 == 0,
                braille: !dense && next() % 500 == 0,
            }
        })
        .collect();
    SeatingInput { exam_id: "ege-02".into(), ppe_code: "0101".into(), auditoriums, participants, manual: Vec::new(), rules: SeatingRules { max_per_room: if dense { 30 } else { 25 }, ..SeatingRules::default() }, ..SeatingInput::default() }
}

/// The baseline: fill seats room by room, row by row, in input order; no rules at all.
fn naive_fill(input: &SeatingInput) -> Vec<SeatAssignment> {
    let mut out = Vec::with_capacity(input.participants.len());
    let mut people = input.participants.iter();
    'rooms: for a in &input.auditoriums {
        for row in 1..=a.rows {
            for col in 1..=a.columns {
                let Some(p) = people.next() else { break 'rooms };
                out.push(SeatAssignment {
                    exam_id: input.exam_id.clone(),
                    participant_id: p.participant_id.clone(),
                    ppe_code: input.ppe_code.clone(),
                    auditorium: a.auditorium.clone(),
                    row,
                    column: col,
                    manual: false,
                });
            }
        }
    }
    out
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

struct Row {
    name: String,
    ours: Duration,
    naive: Duration,
    rooms_ours: usize,
    rooms_min: usize,
    pairs_ours: usize,
    lower_bound: usize,
    pairs_naive: usize,
    target: Duration,
}

fn measure(name: &str, participants: usize, rooms: usize, schools: usize, runs: usize, target: Duration) -> anyhow::Result<Row> {
    let dense = name.starts_with("dense");
    let input = exam_point(participants, rooms, schools, 7, dense);
    let school_of: HashMap<&str, &str> = input.participants.iter().map(|p| (p.participant_id.as_str(), p.school_code.as_str())).collect();
    let mut ours = Vec::new();
    let mut result = None;
    for i in 0..runs {
        let t = Instant::now();
        let r = seat(&input, 42)?;
        ours.push(t.elapsed());
        if i == 0 {
            result = Some(r);
        }
    }
    let mut naive = Vec::new();
    let mut naive_seats = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        naive_seats = naive_fill(&input);
        naive.push(t.elapsed());
    }
    let result = result.ok_or_else(|| anyhow::anyhow!("no run"))?;
    // Determinism is part of the contract: the same seed gives the same seats.
    anyhow::ensure!(seat(&input, 42)?.seats == result.seats, "seating is not deterministic");
    anyhow::ensure!(result.seats.len() == participants, "not everyone seated");
    Ok(Row {
        name: name.into(),
        ours: median(ours),
        naive: median(naive),
        rooms_ours: result.rooms_used.len(),
        rooms_min: participants.div_ceil(input.rules.max_per_room as usize),
        pairs_ours: result.same_school_pairs,
        lower_bound: result.same_school_lower_bound,
        pairs_naive: count_same_school_pairs(&naive_seats, &school_of),
        target,
    })
}

fn main() -> anyhow::Result<()> {
    let full = std::env::args().any(|a| a == "--bench");
    let cases: Vec<(&str, usize, usize, usize, usize, Duration)> = if full {
        vec![
            ("exam point: 300 participants, 20 rooms, 12 schools", 300, 20, 12, 51, Duration::from_millis(5)),
            ("region: 100 000 participants, 5 000 rooms, 800 schools", 100_000, 5_000, 800, 5, Duration::from_secs(1)),
            ("dense: 600 participants, 20 full rooms of 30, one school 60 %", 600, 20, 3, 21, Duration::from_millis(50)),
        ]
    } else {
        vec![("smoke: 300 participants, 20 rooms", 300, 20, 12, 3, Duration::from_secs(5))]
    };
    println!("| case | ours (median) | naive fill | ratio | target | rooms used / minimum | same-school pairs (ours / lower bound / naive) |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    let mut failed = false;
    for (name, n, rooms, schools, runs, target) in cases {
        let r = measure(name, n, rooms, schools, runs, target)?;
        let ok = r.ours <= r.target;
        failed |= !ok;
        println!(
            "| {} | {:.2} ms | {:.3} ms | {:.0}× | ≤ {} ms {} | {} / {} | {} / {} / {} |",
            r.name,
            r.ours.as_secs_f64() * 1e3,
            r.naive.as_secs_f64() * 1e3,
            r.ours.as_secs_f64() / r.naive.as_secs_f64().max(1e-9),
            r.target.as_millis(),
            if ok { "✔" } else { "✘" },
            r.rooms_ours,
            r.rooms_min,
            r.pairs_ours,
            r.lower_bound,
            r.pairs_naive
        );
    }
    if failed && full {
        anyhow::bail!("a seating case missed its target");
    }
    Ok(())
}
