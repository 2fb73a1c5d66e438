//! Times, durations and sizes as the operator reads them (the dashboard's script writes the
//! same texts), and the one RFC 3339 form of times in monitoring's stores and rows.

use chrono::{DateTime, Duration, Utc};

pub(crate) fn minutes_text(d: Duration) -> String {
    let m = d.num_minutes();
    if m >= 60 {
        format!("{} ч {:02} мин", m / 60, m % 60)
    } else if m >= 1 {
        format!("{m} мин")
    } else {
        format!("{} с", d.num_seconds().max(0))
    }
}

/// "1 ч 05 мин" left, or "−12 мин" past: the same text the dashboard's script writes.
pub fn time_left_text(deadline: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let d = deadline - now;
    if d < Duration::zero() {
        format!("−{}", minutes_text(-d))
    } else {
        minutes_text(d)
    }
}

/// "35 с назад", "4 мин назад".
pub fn seen_ago_text(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    format!("{} назад", minutes_text((now - at).max(Duration::zero())))
}

/// "+2.5 с" or "−3 мин 10 с": how far the box's clock is off.
pub fn clock_offset_text(ms: i64) -> String {
    let sign = if ms < 0 { "−" } else { "+" };
    let a = ms.unsigned_abs();
    if a < 60_000 {
        format!("{sign}{:.1} с", a as f64 / 1000.0)
    } else {
        format!("{sign}{} мин {} с", a / 60_000, (a % 60_000) / 1000)
    }
}

/// Human bytes: "1.4 МБ".
pub fn bytes_text(b: u64) -> String {
    let units = ["Б", "КБ", "МБ", "ГБ", "ТБ"];
    let mut v = b as f64;
    let mut i = 0;
    while v >= 1024.0 && i + 1 < units.len() {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{b} Б")
    } else {
        format!("{v:.1} {}", units[i])
    }
}

pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

pub fn time_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
