//! Distribution by РЦОИ's seed (order 805 §19.1б/§19.2б; DOMAIN.md §3): the randomness of the
//! seating and of the organizers' auditoriums is never chosen at the exam point. The hub draws a
//! seed per (exam, exam point, purpose), signs it, and releases the seating seed not earlier
//! than one working day before the exam and the organizers' seed from the configured morning
//! time, both in the point's own local time and judged by the hub's clock. The box seats once
//! from it and reports the seating; РЦОИ recomputes it from plan + seed (`verify-seating`).
//!
//! This file holds the pure rules: when a seed is released, what a box accepts as a seed, and
//! where a reported seating first differs from the recomputed one.
//! - `store`: SQL of the hub's drawn seeds and reports and the box's received seeds.
//! - `ops`: the use cases on both sides (release, report, verify on the hub; fetch, seat,
//!   report on the box).
//! - `pages`: the hub's box routes; `cli`: `ppe edge seat` (a run) and `ppe hub verify-seating`.

pub mod cli;
pub mod ops;
pub mod pages;
pub mod store;

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveTime, Utc, Weekday};

use crate::model::{Exam, ExamPoint, SeatAssignment};
pub use crate::protocol::distribution::{seed_signature_message, Purpose, SeatingReport, SignedSeed};

/// When seeds are released: holidays (no working day) and the morning time of the organizers'
/// seed, as `hub.toml` `[distribution]` gives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleasePolicy {
    pub holidays: Vec<NaiveDate>,
    /// Local time on the exam day from which the organizers' seed is released (08:00).
    pub organizers_from: NaiveTime,
}

impl Default for ReleasePolicy {
    fn default() -> Self {
        Self { holidays: Vec::new(), organizers_from: NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default() }
    }
}

impl ReleasePolicy {
    /// The policy of `hub.toml` `[distribution]`; a date or time that does not read is named.
    pub fn from_config(config: &crate::config::HubDistributionConfig) -> Result<Self, String> {
        let mut holidays = Vec::new();
        for text in &config.holidays {
            let date = NaiveDate::parse_from_str(text.trim(), "%Y.%m.%d").or_else(|_| NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d"));
            holidays.push(date.map_err(|_| format!("[distribution] holidays: «{text}» не дата ГГГГ.ММ.ДД"))?);
        }
        let organizers_from = NaiveTime::parse_from_str(config.organizers_from.trim(), "%H:%M")
            .map_err(|_| format!("[distribution] organizers_from: «{}» не время ЧЧ:ММ", config.organizers_from))?;
        Ok(Self { holidays, organizers_from })
    }

    /// Whether a date is a working day: not Saturday or Sunday, not a configured holiday.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && !self.holidays.contains(&date)
    }

    /// The working day before `date` (weekends and holidays skipped).
    pub fn previous_working_day(&self, date: NaiveDate) -> NaiveDate {
        let mut day = date - Duration::days(1);
        // A year of holidays in a row is not a calendar; stop looking after that.
        for _ in 0..366 {
            if self.is_working_day(day) {
                break;
            }
            day -= Duration::days(1);
        }
        day
    }
}

/// The exam point's own UTC offset (order 805 §18), else the exam's (plans before point offsets).
pub fn point_offset_min(exam: &Exam, point: Option<&ExamPoint>) -> i32 {
    point.and_then(|p| p.utc_offset_min).unwrap_or(exam.utc_offset_min)
}

/// The instant from which the hub releases a seed of `purpose` for `exam` at a point with this
/// UTC offset: the seating seed at 00:00 local of the working day before the exam's date, the
/// organizers' seed at `organizers_from` local on the exam's date. `None` for an exam date or
/// offset that does not parse.
pub fn release_at(exam: &Exam, offset_min: i32, purpose: Purpose, policy: &ReleasePolicy) -> Option<DateTime<FixedOffset>> {
    let date = NaiveDate::parse_from_str(&exam.date, "%Y.%m.%d").ok()?;
    let offset = FixedOffset::east_opt(offset_min.checked_mul(60)?)?;
    let local = match purpose {
        Purpose::Seating => policy.previous_working_day(date).and_time(NaiveTime::MIN),
        Purpose::Organizers => date.and_time(policy.organizers_from),
    };
    local.and_local_timezone(offset).single()
}

/// Why the hub does not give a seed out (the box shows the Russian reason).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeedRefusal {
    #[error("экзамена {exam_id} нет в плане РЦОИ")]
    UnknownExam { exam_id: String },
    #[error("ППЭ {ppe_code} не назначен на экзамен {exam_id}")]
    NotAssigned { exam_id: String, ppe_code: String },
    #[error("дата или время экзамена {exam_id} в плане не читаются")]
    BadSchedule { exam_id: String },
    #[error("{} ещё не выдаётся: не раньше {} (местное время ППЭ, по часам РЦОИ)", purpose.title_ru(), release_at.format("%d.%m.%Y %H:%M"))]
    NotYet { purpose: Purpose, release_at: DateTime<FixedOffset> },
}

impl SeedRefusal {
    /// A stable code for the wire.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownExam { .. } => "unknown_exam",
            Self::NotAssigned { .. } => "not_assigned",
            Self::BadSchedule { .. } => "bad_schedule",
            Self::NotYet { .. } => "seed_not_released_yet",
        }
    }
}

/// The release rule: a seed goes out only from its release instant on, by the hub's clock.
pub fn judge_release(now: DateTime<Utc>, purpose: Purpose, release_at: DateTime<FixedOffset>) -> Result<(), SeedRefusal> {
    if now < release_at.with_timezone(&Utc) {
        return Err(SeedRefusal::NotYet { purpose, release_at });
    }
    Ok(())
}

/// Why the box does not take a seed the hub answered with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadSeed {
    #[error("подпись зерна не сходится с ключом РЦОИ: зерно отвергнуто")]
    Signature,
    #[error("зерно выдано для {got}, а запрошено для {asked}: отвергнуто")]
    WrongTarget { asked: String, got: String },
    #[error("зерно «{0}» не число: отвергнуто")]
    NotANumber(String),
}

/// What a box accepts: a seed signed by the pinned hub key for exactly this exam, this point and
/// this purpose. Returns the seed.
pub fn check_signed_seed(hub_public_hex: &str, signed: &SignedSeed, exam_id: &str, ppe_code: &str, purpose: Purpose) -> Result<u64, BadSeed> {
    let asked = format!("{exam_id}/{ppe_code}/{}", purpose.code());
    let got = format!("{}/{}/{}", signed.exam_id, signed.ppe_code, signed.purpose.code());
    if asked != got {
        return Err(BadSeed::WrongTarget { asked, got });
    }
    let message = seed_signature_message(&signed.exam_id, &signed.ppe_code, signed.purpose, &signed.seed, &signed.release_at);
    if !crate::keys::verify_ed25519(hub_public_hex, &message, &signed.signature) {
        return Err(BadSeed::Signature);
    }
    signed.seed.parse().map_err(|_| BadSeed::NotANumber(signed.seed.clone()))
}

/// A seat as compared: who, where (manual marks are part of it).
fn seat_text(s: &SeatAssignment) -> String {
    format!("аудитория {}, место {}{}", s.auditorium, s.seat_label(), if s.manual { " (вручную)" } else { "" })
}

/// Where a reported seating first differs from the one recomputed from the hub's plan and seed
/// (seed, input, then seats by participant); `None` when they agree bit for bit.
pub fn first_difference(hub_seed: u64, recomputed_hash: &str, recomputed: &[SeatAssignment], report: &SeatingReport) -> Option<String> {
    if report.seed != hub_seed.to_string() {
        return Some(format!("зерно отчёта {} не то, что выдал РЦОИ ({hub_seed})", report.seed));
    }
    if report.input_hash != recomputed_hash {
        return Some(format!(
            "входные данные рассадки отличаются от плана РЦОИ (хеш {} вместо {})",
            short(&report.input_hash),
            short(recomputed_hash)
        ));
    }
    let sorted = |seats: &[SeatAssignment]| {
        let mut v = seats.to_vec();
        v.sort_by(|a, b| a.participant_id.cmp(&b.participant_id));
        v
    };
    let (expected, reported) = (sorted(recomputed), sorted(&report.seats));
    for (e, r) in expected.iter().zip(&reported) {
        if e.participant_id != r.participant_id {
            let first = e.participant_id.as_str().min(r.participant_id.as_str());
            return Some(format!("участник {first} есть только в одной из рассадок"));
        }
        if e != r {
            return Some(format!("участник {}: в отчёте {}, по зерну РЦОИ {}", e.participant_id, seat_text(r), seat_text(e)));
        }
    }
    if expected.len() != reported.len() {
        return Some(format!("в отчёте мест {}, по зерну РЦОИ {}", reported.len(), expected.len()));
    }
    None
}

fn short(hash: &str) -> &str {
    hash.get(..16).unwrap_or(hash)
}

#[cfg(test)]
mod tests;
