//! The one clock all scheduling goes through: real, or simulated from a start time running
//! N× faster (`--now`, `--speed`), so that an exam day can be played in minutes.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone)]
pub struct Clock {
    inner: Arc<Inner>,
}

#[derive(Debug)]
enum Inner {
    Real,
    Simulated { speed: f64, state: Mutex<Simulated> },
}

/// Where simulated time stood at `at`, and how many [`ClockHold`]s slow it to wall time now.
#[derive(Debug)]
struct Simulated {
    base: DateTime<Utc>,
    at: Instant,
    holds: u32,
}

impl Simulated {
    fn now(&self, speed: f64) -> DateTime<Utc> {
        let rate = if self.holds > 0 { 1.0 } else { speed };
        let passed = self.at.elapsed().as_secs_f64() * rate;
        self.base + Duration::microseconds((passed * 1e6) as i64)
    }

    /// Starts a new stretch from now (before the rate changes).
    fn rebase(&mut self, speed: f64) {
        self.base = self.now(speed);
        self.at = Instant::now();
    }
}

/// While it lives, a simulated clock runs at wall speed: work a simulation does "at once"
/// (the demo's staff seating a point, a ГЭК member activating the key) takes its real seconds,
/// not `speed` times as many simulated minutes, so a loaded machine cannot push the simulated
/// day past a window. No effect on the real clock.
#[must_use = "the clock runs at wall speed only while the hold lives"]
pub struct ClockHold {
    clock: Clock,
}

impl Drop for ClockHold {
    fn drop(&mut self) {
        if let Inner::Simulated { speed, state } = &*self.clock.inner {
            let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
            s.rebase(*speed);
            s.holds = s.holds.saturating_sub(1);
        }
    }
}

impl Clock {
    pub fn real() -> Self {
        Self { inner: Arc::new(Inner::Real) }
    }

    /// Time starts at `start` and runs `speed` times faster than wall time.
    pub fn simulated(start: DateTime<Utc>, speed: f64) -> Self {
        let speed = if speed.is_finite() && speed > 0.0 { speed } else { 1.0 };
        Self { inner: Arc::new(Inner::Simulated { speed, state: Mutex::new(Simulated { base: start, at: Instant::now(), holds: 0 }) }) }
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
            Inner::Simulated { speed, state } => state.lock().unwrap_or_else(|e| e.into_inner()).now(*speed),
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

    /// Slows a simulated clock to wall speed until the hold is dropped (holds nest).
    pub fn hold(&self) -> ClockHold {
        if let Inner::Simulated { speed, state } = &*self.inner {
            let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
            s.rebase(*speed);
            s.holds += 1;
        }
        ClockHold { clock: self.clone() }
    }

    /// How long to sleep in wall time for `simulated` to pass on this clock.
    pub fn wall_duration(&self, simulated: std::time::Duration) -> std::time::Duration {
        simulated.div_f64(self.speed())
    }

    /// Sleeps until the clock reads `when` (returns at once if already past); a hold taken
    /// meanwhile makes it wait the longer.
    pub async fn sleep_until(&self, when: DateTime<Utc>) {
        while let Ok(left) = (when - self.now()).to_std() {
            if left.is_zero() {
                return;
            }
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

    #[test]
    fn a_hold_slows_simulated_time_to_wall_speed_and_nests() {
        let start = parse_now("2026-06-01T08:00:00+03:00").unwrap();
        let c = Clock::simulated(start, 3600.0);
        let outer = c.hold();
        let inner = c.clone().hold();
        std::thread::sleep(std::time::Duration::from_millis(50));
        drop(inner);
        std::thread::sleep(std::time::Duration::from_millis(50));
        let held = c.now() - start;
        assert!(held < Duration::seconds(5), "held: {held:?} (at 3600× it would be minutes)");
        drop(outer);
        std::thread::sleep(std::time::Duration::from_millis(20));
        let after = c.now() - start;
        assert!(after >= Duration::seconds(60), "released: {after:?}");
        // The real clock ignores holds.
        let real = Clock::real();
        let _h = real.hold();
        assert!((real.now() - Utc::now()).num_seconds().abs() < 2);
    }
}
