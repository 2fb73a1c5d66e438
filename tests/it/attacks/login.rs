//! Attacks on the logins of both UIs: guessing, lockout of others, timing, redirects, flashes.
