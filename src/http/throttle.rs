//! The login throttle of both UIs. Failures are counted per (login, client address): after
//! [`FREE_FAILURES`] wrong tries that address waits [`FIRST_WAIT`] for that login, doubling
//! with every further failure up to [`MAX_WAIT`]. A right password from that address clears
//! it. Nobody is locked out for everyone: a stranger guessing the ГЭК member's password at
//! 09:30 slows down only their own device, and the member logs in from theirs. An address that
//! fails [`FREE_FAILURES_PER_ADDRESS`] times over any logins waits as well (spraying many
//! logins from one device). A throttled try is refused before any password check, the same
//! way whether the login exists or not. Every try is counted as a failure when it starts (and
//! taken back if the password was right), so a burst of parallel tries gets no more through
//! than one after the other. In memory: a restart of the daemon forgets it, which
//! only the station's own administrator can cause.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

pub const FREE_FAILURES: u32 = 5;
pub const FREE_FAILURES_PER_ADDRESS: u32 = 30;
pub const FIRST_WAIT: Duration = Duration::from_secs(60);
pub const MAX_WAIT: Duration = Duration::from_secs(15 * 60);
/// Remembered (login, address) pairs; beyond this the stalest are forgotten first.
const MAX_ENTRIES: usize = 10_000;
/// A login longer than this is counted under its first characters.
const MAX_LOGIN_CHARS: usize = 64;

/// The client's address, as the serving composition root knows it: an `http::ClientAddr`
/// extension (the hub's TLS listener) or axum's `ConnectInfo<SocketAddr>` (a plain listener).
/// `None` when neither is there: such clients share one count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if let Some(addr) = parts.extensions.get::<ClientAddr>() {
            return Ok(*addr);
        }
        Ok(ClientAddr(parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())))
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    until: Option<Instant>,
    last: Instant,
}

#[derive(Debug, Default)]
pub struct LoginThrottle {
    entries: Mutex<HashMap<(String, Option<IpAddr>), Entry>>,
}

fn key(login: &str, addr: Option<IpAddr>) -> (String, Option<IpAddr>) {
    (login.chars().take(MAX_LOGIN_CHARS).collect(), addr)
}

/// The pair's own count and the address's count over every login (`\0` is no login's name).
fn keys(login: &str, addr: Option<IpAddr>) -> Vec<((String, Option<IpAddr>), u32)> {
    let mut k = vec![(key(login, addr), FREE_FAILURES)];
    if addr.is_some() {
        k.push((key("\0", addr), FREE_FAILURES_PER_ADDRESS));
    }
    k
}

fn wait_after(failures: u32, free: u32) -> Option<Duration> {
    let over = failures.checked_sub(free)?;
    Some(FIRST_WAIT.saturating_mul(1u32 << over.min(10)).min(MAX_WAIT))
}

impl LoginThrottle {
    /// A try of this login from this address: `Err(wait)` while it may not be tried, else it
    /// is counted as a failure until [`LoginThrottle::succeeded`] says otherwise.
    pub fn try_login(&self, login: &str, addr: Option<IpAddr>, now: Instant) -> Result<(), Duration> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let wait = keys(login, addr).into_iter().filter_map(|(k, _)| entries.get(&k)?.until).filter(|u| *u > now).map(|u| u - now).max();
        if let Some(wait) = wait {
            return Err(wait);
        }
        for (k, free) in keys(login, addr) {
            if !entries.contains_key(&k) && entries.len() >= MAX_ENTRIES {
                forget_stalest(&mut entries, now);
            }
            let e = entries.entry(k).or_insert(Entry { failures: 0, until: None, last: now });
            e.failures = e.failures.saturating_add(1);
            e.last = now;
            if let Some(wait) = wait_after(e.failures, free) {
                e.until = Some(now + wait);
                tracing::warn!(failures = e.failures, wait_secs = wait.as_secs(), "login throttled for one client address");
            }
        }
        Ok(())
    }

    /// The try was a right password: this login's count from this address starts again, and
    /// the address's count over all logins takes the try back.
    pub fn succeeded(&self, login: &str, addr: Option<IpAddr>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.remove(&key(login, addr));
        if addr.is_some() {
            if let Some(e) = entries.get_mut(&key("\0", addr)) {
                e.failures = e.failures.saturating_sub(1);
                if wait_after(e.failures, FREE_FAILURES_PER_ADDRESS).is_none() {
                    e.until = None;
                }
            }
        }
    }
}

/// Drops whatever waits no more and was last seen long ago; if nothing is, the oldest one.
fn forget_stalest(entries: &mut HashMap<(String, Option<IpAddr>), Entry>, now: Instant) {
    entries.retain(|_, e| e.until.is_some_and(|u| u > now) || now.duration_since(e.last) < MAX_WAIT);
    if entries.len() >= MAX_ENTRIES {
        if let Some(oldest) = entries.iter().min_by_key(|(_, e)| e.last).map(|(k, _)| k.clone()) {
            entries.remove(&oldest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_strangers_failures_slow_only_the_strangers_address() {
        let t = LoginThrottle::default();
        let (stranger, member) = (Some("10.0.0.66".parse().unwrap()), Some("10.0.0.7".parse().unwrap()));
        let now = Instant::now();
        for _ in 0..FREE_FAILURES {
            assert!(t.try_login("gek", stranger, now).is_ok());
        }
        assert_eq!(t.try_login("gek", stranger, now), Err(FIRST_WAIT), "five tries, then a wait");
        assert!(t.try_login("gek", member, now).is_ok(), "the member's own device is not blocked");
        t.succeeded("gek", member);
        assert!(t.try_login("other", stranger, now).is_ok(), "per login");
        assert!(t.try_login("gek", stranger, now + FIRST_WAIT).is_ok());
        assert_eq!(t.try_login("gek", stranger, now + FIRST_WAIT), Err(FIRST_WAIT * 2), "waits grow");
        assert!(t.try_login("gek", stranger, now + FIRST_WAIT * 3).is_ok(), "and end");
        for i in 0..20 {
            let _ = t.try_login("gek", stranger, now + FIRST_WAIT * 3 + MAX_WAIT * i);
        }
        let later = now + FIRST_WAIT * 3 + MAX_WAIT * 19;
        assert_eq!(t.try_login("gek", stranger, later), Err(MAX_WAIT), "capped");
        t.succeeded("gek", stranger);
        assert!(t.try_login("gek", stranger, later).is_ok(), "a right password clears the pair");
    }

    #[test]
    fn right_passwords_do_not_add_up_and_a_burst_gets_no_more_tries() {
        let t = LoginThrottle::default();
        let a = Some("10.0.0.7".parse().unwrap());
        let now = Instant::now();
        for _ in 0..FREE_FAILURES_PER_ADDRESS * 2 {
            assert!(t.try_login("tech", a, now).is_ok());
            t.succeeded("tech", a);
        }
        // Parallel tries: each is counted when it starts, before any password is checked.
        let allowed = (0..50).filter(|_| t.try_login("gek", a, now).is_ok()).count();
        assert_eq!(allowed as u32, FREE_FAILURES);
    }

    #[test]
    fn one_address_spraying_many_logins_waits_too_and_the_table_stays_bounded() {
        let t = LoginThrottle::default();
        let a = Some("10.0.0.66".parse().unwrap());
        let now = Instant::now();
        for i in 0..FREE_FAILURES_PER_ADDRESS {
            assert!(t.try_login(&format!("login{i}"), a, now).is_ok());
        }
        assert!(t.try_login("fresh", a, now).is_err());
        assert!(t.try_login("fresh", Some("10.0.0.7".parse().unwrap()), now).is_ok());
        for i in 0..(MAX_ENTRIES as u32 + 10) {
            let _ = t.try_login("x", Some(IpAddr::from(i.to_be_bytes())), now);
        }
        assert!(t.entries.lock().unwrap().len() <= MAX_ENTRIES + 1);
    }
}
