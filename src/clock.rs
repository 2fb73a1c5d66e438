//! The one clock all scheduling goes through: real, or simulated from a start time running
//! N× faster (`--now`, `--speed`), so that an exam day can be played in minutes.

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone)]
pub struct Clock {
    inner: Arc<Inner>,
}

#[derive(Debug)]
enum Inner {
    Real,
    Simulated { start: DateTime<Utc>, at: Instant, speed: f64 },
}

impl Clock {
    pub fn real() -> Self {
        Self { inner: Arc::new(Inner::Real) }
    }

    /// Time starts at `start` and runs `speed` times faster than wall time.
    pub fn simulated(start: DateTime<Utc>, speed: f64) -> Self {
        let speed = if speed.is_finite() && speed > 0.0 { speed } else { 1.0 };
        Self { inner: Arc::new(Inner::Simulated { start, at: Instant::now(), speed }) }
    }

    /// From the `--now`/`--speed` flags: real unless either is given.
    pub fn from_flags(now: Option<DateTime<Utc>>, speed: Option<f64>) -> Self {
        match (now, speed) {
            (None, None) => Self::real(),
            (now, speed) => Self::simulated(now.unwrap_or_else(Utc::now), speed.unwrap_or(1.0)),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &*self.inner {
            Inner::Real => Utc::now(),
            Inner::Simulated { start, at, speed } => {
                let real = at.elapsed().as_secs_f64() * speed;
                *start + Duration::microseconds((real * 1e6) as i64)
            }
        }
    }

    pub fn now_rfc3339(&self) -> String {
        rfc3339(self.now())
    }

    pub fn speed(&self) -> f64 {
        match &*self.inner {
            Inner::Real => 1.0,
            Inner::Simulated { speed, .. } => *speed,
        }
    }

    /// How long to sleep in wall time for `simulated` to pass on this clock.
    pub fn wall_duration(&self, simulated: std::time::Duration) -> std::time::Duration {
        simulated.div_f64(self.speed())
    }

    /// Sleeps until the clock reads `when` (returns at once if already past).
    pub async fn sleep_until(&self, when: DateTime<Utc>) {
        let left = when - self.now();
        if let Ok(left) = left.to_std() {
            tokio::time::sleep(self.wall_duration(left)).await;
        }
    }
}

/// Parses the `--now` flag (RFC 3339).
/// `--now` and `--speed` of the long-running commands (DESIGN.md §7), flattened into their
/// arguments.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct SimulatedTimeArgs {
    /// Simulated time to start from (RFC 3339).
    #[arg(long, value_parser = parse_now)]
    pub now: Option<DateTime<Utc>>,
    /// Simulated time runs this many times faster.
    #[arg(long)]
    pub speed: Option<f64>,
}

impl SimulatedTimeArgs {
    pub fn clock(&self) -> Clock {
        Clock::from_flags(self.now, self.speed)
    }
}

/// A time as the stores and the wire write it (RFC 3339, whole seconds, `Z`), the same text
/// as [`Clock::now_rfc3339`].
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub fn parse_now(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("--now {text:?} is not an RFC 3339 time ({e}); example: 2026-06-01T08:00:00+03:00"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulated_clock_runs_faster() {
        let start = parse_now("2026-06-01T08:00:00+03:00").unwrap();
        let c = Clock::simulated(start, 3600.0);
        std::thread::sleep(std::time::Duration::from_millis(20));
        let passed = c.now() - start;
        assert!(passed >= Duration::seconds(60), "{passed:?}");
        assert_eq!(c.wall_duration(std::time::Duration::from_secs(3600)), std::time::Duration::from_secs(1));
    }

    #[test]
    fn bad_now_is_explained() {
        assert!(parse_now("tomorrow").unwrap_err().contains("RFC 3339"));
    }
}
